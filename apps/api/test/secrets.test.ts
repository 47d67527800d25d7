import { openTaskSecrets } from '@punctual/core';
import { describe, expect, it } from 'vitest';
import { createApiKey } from './credentials-fixtures.js';
import { authed, createTask, register, type TaskResponse, useTestApp } from './test-app.js';

const t = useTestApp({ users: ['alice'] });
const { alice } = t.users;

async function taskRow(id: string) {
  return t.env.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

function update(method: 'PATCH' | 'PUT', id: string, payload: object) {
  return t.api.app.inject({ method, url: `/api/v1/tasks/${id}`, headers: authed(alice.token), payload });
}

/** What the worker would send: the secrets as they open for the row's current URL. */
async function secretsOf(id: string) {
  return openTaskSecrets({ current: t.api.config.secretsKey }, await taskRow(id));
}

const ORIGIN_A = 'https://api.example.com/hooks/a';

describe('secrets stay with their origin (PATCH and PUT url)', () => {
  it.each([
    ['another host', 'https://evil.example.net/hooks/a'],
    ['another scheme', 'http://api.example.com/hooks/a'],
    ['another port', 'https://api.example.com:8443/hooks/a'],
  ])('refuses to move a stored token to %s without it: 400 naming body/token, nothing changed', async (_case, url) => {
    for (const method of ['PATCH', 'PUT'] as const) {
      const created = await createTask(t.api.app, alice.token, { url: ORIGIN_A, token: 'tok-a' });
      const before = await taskRow(created.id);

      const response = await update(method, created.id, { url, name: 'moved' });

      expect(response.statusCode, response.body).toBe(400);
      expect(response.json()).toMatchObject({ code: 'PUNCTUAL_INVALID_INPUT', message: expect.stringMatching(/^body\/token /) });
      expect(await taskRow(created.id)).toEqual(before);
    }
  });

  it('refuses to move stored sensitive headers to another origin without them: 400 naming body/headers', async () => {
    const created = await createTask(t.api.app, alice.token, { url: ORIGIN_A, headers: { 'X-Api-Key': 'key-a', Accept: 'text/plain' } });
    const before = await taskRow(created.id);

    const response = await update('PATCH', created.id, { url: 'https://other.example.com/' });

    expect(response.statusCode, response.body).toBe(400);
    expect(response.json<{ message: string }>().message).toMatch(/^body\/headers /);
    expect(await taskRow(created.id)).toEqual(before);
  });

  it('refuses to move a sensitive header stored in the clear (before its name counted as sensitive) to another origin', async () => {
    const created = await createTask(t.api.app, alice.token, { url: ORIGIN_A, headers: { Accept: 'text/plain' } });
    // A row from before the list of sensitive names grew.
    await t.env.db
      .updateTable('tasks')
      .set({ headers: JSON.stringify({ 'X-Functions-Key': 'in-the-clear' }) })
      .where('id', '=', created.id)
      .execute();

    const response = await update('PATCH', created.id, { url: 'https://other.example.com/' });

    expect(response.statusCode, response.body).toBe(400);
    expect(response.json<{ message: string }>().message).toMatch(/^body\/headers /);
    const shown = await t.api.app.inject({ method: 'GET', url: `/api/v1/tasks/${created.id}`, headers: authed(alice.token) });
    expect(shown.json<TaskResponse>().headers).toEqual({ 'X-Functions-Key': '[redacted]' });
  });

  it('asks for the headers too when only a new token comes with the new origin', async () => {
    const created = await createTask(t.api.app, alice.token, { url: ORIGIN_A, token: 'tok-a', headers: { Cookie: 'sid=a' } });

    const response = await update('PATCH', created.id, { url: 'https://other.example.com/', token: 'tok-b' });

    expect(response.statusCode, response.body).toBe(400);
    expect(response.json<{ message: string }>().message).toMatch(/^body\/headers /);
    expect(await secretsOf(created.id)).toEqual({ token: 'tok-a', headers: { Cookie: 'sid=a' } });
  });

  it('moves to another origin with a new token and new headers, sealed for the new origin', async () => {
    const created = await createTask(t.api.app, alice.token, { url: ORIGIN_A, token: 'tok-a', headers: { 'X-Api-Key': 'key-a' } });

    const response = await update('PATCH', created.id, {
      url: 'https://other.example.com/in',
      token: 'tok-b',
      headers: { 'X-Functions-Key': 'fn-b' },
    });

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<TaskResponse>()).toMatchObject({ hasToken: true, headers: { 'X-Functions-Key': '[redacted]' } });
    expect(await secretsOf(created.id)).toEqual({ token: 'tok-b', headers: { 'X-Functions-Key': 'fn-b' } });
  });

  it('moves to another origin dropping the secrets with null', async () => {
    const created = await createTask(t.api.app, alice.token, {
      url: ORIGIN_A,
      token: 'tok-a',
      headers: { 'X-Api-Key': 'key-a', 'X-Plain': 'p' },
    });

    const response = await update('PUT', created.id, { url: 'https://other.example.com/', token: null, headers: null });

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<TaskResponse>()).toMatchObject({ hasToken: false, headers: {} });
    const row = await taskRow(created.id);
    expect([row.token, row.secret_headers]).toEqual([null, null]);
  });

  it('keeps the secrets when the url moves within the same origin (another path or query, or the same origin spelled differently)', async () => {
    const created = await createTask(t.api.app, alice.token, { url: ORIGIN_A, token: 'tok-a', headers: { 'X-Api-Key': 'key-a' } });

    for (const url of ['https://api.example.com/other/path?x=1', 'HTTPS://API.EXAMPLE.COM:443/again']) {
      const response = await update('PATCH', created.id, { url });
      expect(response.statusCode, response.body).toBe(200);
    }

    expect((await taskRow(created.id)).url).toBe('https://api.example.com/again');
    expect(await secretsOf(created.id)).toEqual({ token: 'tok-a', headers: { 'X-Api-Key': 'key-a' } });
  });

  it('moves a task without secrets anywhere, and keeps its plain headers', async () => {
    const created = await createTask(t.api.app, alice.token, { url: ORIGIN_A, headers: { Accept: 'application/json' } });

    const response = await update('PATCH', created.id, { url: 'http://plain.example.org:8080/' });

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<TaskResponse>().headers).toEqual({ Accept: 'application/json' });
  });

  it('re-seals a token given without a url change for the task’s current origin', async () => {
    const created = await createTask(t.api.app, alice.token, { url: ORIGIN_A });

    expect((await update('PATCH', created.id, { token: 'late-token' })).statusCode).toBe(200);

    expect((await secretsOf(created.id)).token).toBe('late-token');
  });
});

describe('signing secret routes', () => {
  function signingSecret(token: string, action: 'get' | 'rotate' = 'get') {
    return t.api.app.inject(
      action === 'get'
        ? { method: 'GET', url: '/api/v1/auth/signing-secret', headers: authed(token) }
        : { method: 'POST', url: '/api/v1/auth/signing-secret/rotate', headers: authed(token) },
    );
  }

  it('creates the secret at registration, sealed, and shows the same one on every read', async () => {
    const user = await register(t.api.app);
    const stored = await t.env.db.selectFrom('signing_secrets').selectAll().where('user_id', '=', user.user.id).executeTakeFirstOrThrow();

    const first = await signingSecret(user.token);
    const second = await signingSecret(user.token);

    expect(first.statusCode, first.body).toBe(200);
    const { secret } = first.json<{ secret: string }>();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(second.json()).toEqual({ secret });
    expect(stored.secret).not.toContain(secret.slice('whsec_'.length));
  });

  it('rotates: a new secret from now on, the previous one kept to sign beside it for 24 h', async () => {
    const user = await register(t.api.app);
    const { secret: before } = (await signingSecret(user.token)).json<{ secret: string }>();

    const rotated = await signingSecret(user.token, 'rotate');

    expect(rotated.statusCode, rotated.body).toBe(200);
    const { secret: after } = rotated.json<{ secret: string }>();
    expect(after).toMatch(/^whsec_/);
    expect(after).not.toBe(before);
    expect((await signingSecret(user.token)).json()).toEqual({ secret: after });
    const row = await t.env.db.selectFrom('signing_secrets').selectAll().where('user_id', '=', user.user.id).executeTakeFirstOrThrow();
    expect(row.previous_secret).not.toBeNull();
    expect(row.previous_expires_at!.getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000);
  });

  it('keeps each user’s secret their own', async () => {
    const other = await register(t.api.app);
    const mine = (await signingSecret(alice.token)).json<{ secret: string }>();
    const theirs = (await signingSecret(other.token)).json<{ secret: string }>();
    expect(mine.secret).not.toBe(theirs.secret);
  });

  it('refuses an API key on rotate (403) and changes nothing; a key may read the secret', async () => {
    const user = await register(t.api.app);
    const { secret } = (await signingSecret(user.token)).json<{ secret: string }>();
    const { key } = await createApiKey(t.api.app, user.token, { name: 'script', scope: 'full' });

    const rotated = await signingSecret(key, 'rotate');

    expect(rotated.statusCode, rotated.body).toBe(403);
    expect((await signingSecret(key)).json()).toEqual({ secret });
  });

  it('refuses a read API key the signing secret (403), since the secret would let it forge signed calls', async () => {
    const user = await register(t.api.app);
    const { key } = await createApiKey(t.api.app, user.token, { name: 'dashboard', scope: 'read' });

    const refused = await signingSecret(key);

    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'PUNCTUAL_INSUFFICIENT_SCOPE' });
    expect(refused.body).not.toContain('whsec_');
  });

  it('answers 401 without a token', async () => {
    expect((await t.api.app.inject({ method: 'GET', url: '/api/v1/auth/signing-secret' })).statusCode).toBe(401);
    expect((await t.api.app.inject({ method: 'POST', url: '/api/v1/auth/signing-secret/rotate' })).statusCode).toBe(401);
  });

  it('is in the OpenAPI document with operationIds', async () => {
    const document = (await t.api.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { operationId?: string }>>;
    }>();
    expect(document.paths['/api/v1/auth/signing-secret']?.get?.operationId).toBe('getSigningSecret');
    expect(document.paths['/api/v1/auth/signing-secret/rotate']?.post?.operationId).toBe('rotateSigningSecret');
  });
});
