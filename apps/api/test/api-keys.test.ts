import { createHash, randomUUID } from 'node:crypto';
import { API_KEY_LIMIT } from '@punctual/core';
import type { InjectOptions } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, makeAdmin, whoAmI, type ApiKeyResponse } from './credentials-fixtures.js';
import { authed, countTasks, createTask, register, taskBody, useTestApp } from './test-app.js';

const t = useTestApp({ users: ['owner', 'other'] });
/** Shared accounts: each registration hashes a password (argon2id), so the file reuses a few. */
const { owner, other } = t.users;

const inject = (options: InjectOptions) => t.api.app.inject(options);

describe('POST /api/v1/auth/api-keys', () => {
  it('returns the key once (pk_ and 43 characters), with its prefix, scope and no use yet (201)', async () => {
    const created = await createApiKey(t.api.app, owner.token, { name: 'ci', scope: 'read' });

    expect(created).toEqual({
      id: expect.any(String),
      name: 'ci',
      scope: 'read',
      prefix: created.key.slice(3, 11),
      createdAt: expect.any(String),
      expiresAt: null,
      lastUsedAt: null,
      key: expect.stringMatching(/^pk_[A-Za-z0-9_-]{43}$/),
    });
  });

  it('stores only the SHA-256 of the key, never the key', async () => {
    const { id, key } = await createApiKey(t.api.app, owner.token);

    const row = await t.env.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.hash.equals(createHash('sha256').update(key).digest())).toBe(true);
    expect(JSON.stringify(row)).not.toContain(key.slice(3));
  });

  it('keeps an expiry in the future', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();

    const created = await createApiKey(t.api.app, owner.token, { expiresAt });

    expect(created.expiresAt).toBe(expiresAt);
  });

  it.each([
    ['an expiry in the past', { name: 'k', scope: 'full', expiresAt: '2020-01-01T00:00:00.000Z' }, 'body/expiresAt'],
    ['an unknown scope', { name: 'k', scope: 'write' }, 'body/scope'],
    ['no name', { scope: 'full' }, 'body/name'],
    ['an empty name', { name: '', scope: 'full' }, 'body/name'],
    ['an unknown field', { name: 'k', scope: 'full', admin: true }, 'body/admin'],
  ])('refuses %s with 400 naming the field, and creates no key', async (_label, payload, field) => {
    const before = await countKeys(owner.user.id);

    const response = await inject({ method: 'POST', url: '/api/v1/auth/api-keys', headers: authed(owner.token), payload });

    expect(response.statusCode, response.body).toBe(400);
    expect(response.json<{ message: string }>().message).toContain(field);
    expect(await countKeys(owner.user.id)).toBe(before);
  });

  it(`refuses a key beyond ${API_KEY_LIMIT} per user with 409`, async () => {
    const { token, user } = await register(t.api.app);
    await t.env.db
      .insertInto('api_keys')
      .values(
        Array.from({ length: API_KEY_LIMIT }, (_, index) => ({
          user_id: user.id,
          name: `bulk ${index}`,
          scope: 'read' as const,
          prefix: 'xxxxxxxx',
          hash: createHash('sha256').update(randomUUID()).digest(),
        })),
      )
      .execute();

    const response = await inject({
      method: 'POST',
      url: '/api/v1/auth/api-keys',
      headers: authed(token),
      payload: { name: 'one more', scope: 'full' },
    });

    expect(response.statusCode, response.body).toBe(409);
    expect(response.json()).toMatchObject({ code: 'PUNCTUAL_API_KEY_LIMIT' });
    expect(await countKeys(user.id)).toBe(API_KEY_LIMIT);
  });
});

describe('GET /api/v1/auth/api-keys', () => {
  it("lists only the caller's keys, oldest first, never the key itself", async () => {
    const { token } = await register(t.api.app);
    const first = await createApiKey(t.api.app, token, { name: 'first' });
    const second = await createApiKey(t.api.app, token, { name: 'second', scope: 'read' });
    await createApiKey(t.api.app, other.token, { name: 'someone else' });

    const response = await inject({ method: 'GET', url: '/api/v1/auth/api-keys', headers: authed(token) });

    expect(response.statusCode).toBe(200);
    const { key: _first, ...firstListed } = first;
    const { key: _second, ...secondListed } = second;
    expect(response.json()).toEqual({ data: [firstListed, secondListed] });
    expect(response.body).not.toContain(first.key);
    expect(response.body).not.toContain(second.key);
  });
});

describe('using an API key', () => {
  it('acts as its owner: /auth/me is the owner, and a full key creates tasks owned by them', async () => {
    const { key } = await createApiKey(t.api.app, owner.token);

    const me = await whoAmI(t.api.app, key);
    const created = await inject({ method: 'POST', url: '/api/v1/tasks', headers: authed(key), payload: taskBody() });

    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual(owner.user);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ userId: owner.user.id });
  });

  it('records lastUsedAt at the first use, and moves it at most once a minute', async () => {
    const { id, key } = await createApiKey(t.api.app, owner.token);

    await whoAmI(t.api.app, key);
    const first = await lastUsedAt(id);
    await whoAmI(t.api.app, key);
    const second = await lastUsedAt(id);
    await t.env.db
      .updateTable('api_keys')
      .set({ last_used_at: new Date(Date.now() - 120_000) })
      .where('id', '=', id)
      .execute();
    const aged = await lastUsedAt(id);
    await whoAmI(t.api.app, key);
    const third = await lastUsedAt(id);

    expect(first).not.toBeNull();
    expect(second).toEqual(first);
    expect(third!.getTime()).toBeGreaterThan(aged!.getTime());
    const listed = await inject({ method: 'GET', url: '/api/v1/auth/api-keys', headers: authed(owner.token) });
    expect(listed.json<{ data: ApiKeyResponse[] }>().data.find((item) => item.id === id)?.lastUsedAt).toBe(third!.toISOString());
  });

  it('acts with the owner’s role as of this request: an admin’s key sees everyone’s tasks, and stops when they are demoted', async () => {
    const admin = await register(t.api.app);
    await makeAdmin(t.env.db, admin.user.id);
    const { key } = await createApiKey(t.api.app, admin.token, { scope: 'read' });
    await createTask(t.api.app, other.token);

    const asAdmin = await inject({ method: 'GET', url: `/api/v1/tasks?userId=${other.user.id}`, headers: authed(key) });
    await t.env.db.updateTable('users').set({ role: 'user' }).where('id', '=', admin.user.id).execute();
    const asUser = await inject({ method: 'GET', url: `/api/v1/tasks?userId=${other.user.id}`, headers: authed(key) });

    expect(asAdmin.json<{ total: number }>().total).toBeGreaterThan(0);
    expect(asUser.statusCode).toBe(200);
    expect(asUser.json()).toMatchObject({ data: [], total: 0 });
  });
});

describe('a read key', () => {
  let readKey: string;
  let taskId: string;

  beforeAll(async () => {
    readKey = (await createApiKey(t.api.app, owner.token, { scope: 'read' })).key;
    taskId = (await createTask(t.api.app, owner.token)).id;
  });

  it.each(['/api/v1/tasks', '/api/v1/logs', '/api/v1/stats', '/api/v1/auth/me'])('may GET %s (200)', async (url) => {
    const response = await inject({ method: 'GET', url, headers: authed(readKey) });

    expect(response.statusCode, response.body).toBe(200);
  });

  it('may GET one task', async () => {
    const response = await inject({ method: 'GET', url: `/api/v1/tasks/${taskId}`, headers: authed(readKey) });

    expect(response.statusCode).toBe(200);
  });

  it('is refused a create with 403 insufficient scope, and nothing is created', async () => {
    const before = await countTasks(t.env.db);

    const response = await inject({ method: 'POST', url: '/api/v1/tasks', headers: authed(readKey), payload: taskBody() });

    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({
      statusCode: 403,
      error: 'Forbidden',
      code: 'PUNCTUAL_INSUFFICIENT_SCOPE',
      message: expect.stringContaining('insufficient scope'),
    });
    expect(await countTasks(t.env.db)).toBe(before);
  });

  it.each([
    ['PATCH', '', { name: 'renamed' }],
    ['PUT', '', { name: 'renamed' }],
    ['DELETE', '', undefined],
    ['POST', '/pause', undefined],
    ['POST', '/run', undefined],
  ] as const)('is refused %s /api/v1/tasks/:id%s with 403, and the task is unchanged', async (method, suffix, payload) => {
    const before = await t.env.db.selectFrom('tasks').selectAll().where('id', '=', taskId).executeTakeFirstOrThrow();

    const response = await inject({ method, url: `/api/v1/tasks/${taskId}${suffix}`, headers: authed(readKey), payload });

    expect(response.statusCode, response.body).toBe(403);
    expect(response.json()).toMatchObject({ code: 'PUNCTUAL_INSUFFICIENT_SCOPE' });
    expect(await t.env.db.selectFrom('tasks').selectAll().where('id', '=', taskId).executeTakeFirstOrThrow()).toEqual(before);
  });

  it('is refused a bulk action with 403', async () => {
    const response = await inject({
      method: 'POST',
      url: '/api/v1/tasks/bulk',
      headers: authed(readKey),
      payload: { ids: [taskId], action: 'delete' },
    });

    expect(response.statusCode).toBe(403);
    expect(await countTasksOf(owner.user.id)).toBeGreaterThan(0);
  });
});

describe('API keys on the credential routes', () => {
  it.each([
    ['POST', '/api/v1/auth/api-keys', { name: 'child', scope: 'full' }],
    ['GET', '/api/v1/auth/api-keys', undefined],
    ['DELETE', `/api/v1/auth/api-keys/${randomUUID()}`, undefined],
    ['POST', '/api/v1/auth/password', { currentPassword: 'x', newPassword: 'y'.repeat(12) }],
  ] as const)('a full key is refused %s %s with 403 (a session only)', async (method, url, payload) => {
    const { key } = await createApiKey(t.api.app, owner.token);
    const keysBefore = await countKeys(owner.user.id);

    const response = await inject({ method, url, headers: authed(key), payload });

    expect(response.statusCode, response.body).toBe(403);
    expect(response.json()).toMatchObject({ code: 'PUNCTUAL_SESSION_REQUIRED' });
    expect(await countKeys(owner.user.id)).toBe(keysBefore);
  });

  it('a key cannot delete itself through the key routes', async () => {
    const { id, key } = await createApiKey(t.api.app, owner.token);

    const response = await inject({ method: 'DELETE', url: `/api/v1/auth/api-keys/${id}`, headers: authed(key) });

    expect(response.statusCode).toBe(403);
    expect((await whoAmI(t.api.app, key)).statusCode).toBe(200);
  });
});

describe('DELETE /api/v1/auth/api-keys/:id', () => {
  it('deletes the key (204): it answers 401 from the next request on, and a second delete is 404', async () => {
    const { id, key } = await createApiKey(t.api.app, owner.token);
    expect((await whoAmI(t.api.app, key)).statusCode).toBe(200);

    const deleted = await inject({ method: 'DELETE', url: `/api/v1/auth/api-keys/${id}`, headers: authed(owner.token) });
    const after = await whoAmI(t.api.app, key);
    const again = await inject({ method: 'DELETE', url: `/api/v1/auth/api-keys/${id}`, headers: authed(owner.token) });

    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ code: 'PUNCTUAL_UNAUTHORIZED' });
    expect(again.statusCode).toBe(404);
  });

  it("answers 404 for another user's key exactly as for a missing one, and the key keeps working", async () => {
    const { id, key } = await createApiKey(t.api.app, other.token);

    const foreign = await inject({ method: 'DELETE', url: `/api/v1/auth/api-keys/${id}`, headers: authed(owner.token) });
    const missing = await inject({ method: 'DELETE', url: `/api/v1/auth/api-keys/${randomUUID()}`, headers: authed(owner.token) });

    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toEqual(missing.json());
    expect((await whoAmI(t.api.app, key)).statusCode).toBe(200);
  });

  it('answers 400 naming params/id for an id that is not a UUID', async () => {
    const response = await inject({ method: 'DELETE', url: '/api/v1/auth/api-keys/nope', headers: authed(owner.token) });

    expect(response.statusCode).toBe(400);
    expect(response.json<{ message: string }>().message).toContain('params/id');
  });
});

describe('a key that no longer works', () => {
  it('answers 401 once expired, saying so', async () => {
    const { id, key } = await createApiKey(t.api.app, owner.token, { expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await whoAmI(t.api.app, key)).statusCode).toBe(200);
    await t.env.db
      .updateTable('api_keys')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', id)
      .execute();

    const response = await whoAmI(t.api.app, key);

    expect(response.statusCode).toBe(401);
    expect(response.json<{ message: string }>().message).toMatch(/expired/);
  });

  it.each([
    ['an unknown key', `pk_${'A'.repeat(43)}`],
    ['a truncated key', 'pk_abc'],
    ['a key with a character outside base64url', `pk_${'A'.repeat(42)}=`],
  ])('answers 401 for %s', async (_label, key) => {
    const response = await whoAmI(t.api.app, key);

    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  it('answers 401 when one character of a real key is changed', async () => {
    const { key } = await createApiKey(t.api.app, owner.token);
    const last = key.at(-1) === 'A' ? 'B' : 'A';

    expect((await whoAmI(t.api.app, key.slice(0, -1) + last)).statusCode).toBe(401);
  });
});

async function countKeys(userId: string): Promise<number> {
  const rows = await t.env.db.selectFrom('api_keys').select('id').where('user_id', '=', userId).execute();
  return rows.length;
}

async function countTasksOf(userId: string): Promise<number> {
  const rows = await t.env.db.selectFrom('tasks').select('id').where('user_id', '=', userId).execute();
  return rows.length;
}

async function lastUsedAt(id: string): Promise<Date | null> {
  const row = await t.env.db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow();
  return row.last_used_at;
}

describe('the OpenAPI document', () => {
  it('lists a 403 (a read key) on every authenticated route that changes something', async () => {
    const document = (await inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    }>();

    const writes = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([method, operation]) => method !== 'get' && method !== 'head' && operation.security)
        .map(([method, operation]) => ({ route: `${method} ${path}`, statuses: Object.keys(operation.responses) })),
    );

    expect(writes.map((write) => write.route)).toEqual(expect.arrayContaining(['post /api/v1/tasks', 'patch /api/v1/tasks/{id}']));
    for (const { route, statuses } of writes) expect(statuses, route).toContain('403');
  });
});
