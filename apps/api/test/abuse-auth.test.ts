import { createHmac, randomUUID } from 'node:crypto';
import { TASK_ACTIONS } from '@punctual/scheduling';
import type { InjectOptions } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, makeAdmin, nowSeconds, whoAmI } from './credentials-fixtures.js';
import { authed, createTask, JWT_SECRET, register, signJwt, useTestApp } from './test-app.js';

const t = useTestApp({ users: ['victim', 'attacker'] });
const { victim, attacker } = t.users;

const inject = (options: InjectOptions) => t.api.app.inject(options);
const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT with any header, signed with HMAC-SHA of the header's alg (or unsigned for alg none). */
function forge(header: Record<string, unknown>, payload: Record<string, unknown>, secret = JWT_SECRET): string {
  const unsigned = `${encode(header)}.${encode(payload)}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[header.alg as string];
  return hash ? `${unsigned}.${createHmac(hash, secret).update(unsigned).digest('base64url')}` : `${unsigned}.`;
}

/** A real token with its payload replaced and its signature kept. */
function tamper(token: string, changes: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  return `${header}.${encode({ ...claims, ...changes })}.${signature}`;
}

describe('forged and altered JWTs answer 401 and act as nobody', () => {
  const claims = () => ({ sub: victim.user.id, role: 'admin', iat: nowSeconds(), exp: nowSeconds() + 3600 });

  it.each([
    ['alg none (unsigned)', () => forge({ alg: 'none', typ: 'JWT' }, claims())],
    ['HS512 with the right secret (only HS256 is accepted)', () => forge({ alg: 'HS512', typ: 'JWT' }, claims())],
    ['HS256 signed with another key', () => forge({ alg: 'HS256', typ: 'JWT' }, claims(), 'z'.repeat(32))],
    ['no exp, correctly signed (it would never expire)', () => signJwt({ sub: victim.user.id, role: 'user', iat: nowSeconds() })],
    ['no sub, correctly signed', () => signJwt({ role: 'user', iat: nowSeconds(), exp: nowSeconds() + 3600 })],
    ['a role edited to admin, signature kept', () => tamper(victim.token, { role: 'admin' })],
    ["a sub edited to another user's, signature kept", () => tamper(attacker.token, { sub: victim.user.id })],
    ['an exp pushed into the future, signature kept', () => tamper(victim.token, { exp: nowSeconds() + 86_400 * 365 })],
    ['a session version that is not a count, correctly signed', () => signJwt({ ...claims(), role: 'user', sv: 'x' })],
  ])('%s', async (_label, make) => {
    const token = make();

    for (const url of ['/api/v1/auth/me', '/api/v1/tasks', '/api/v1/users']) {
      const response = await inject({ method: 'GET', url, headers: authed(token) });
      expect(response.statusCode, `${url}: ${response.body}`).toBe(401);
      expect(response.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    }
  });

  it.each([
    ['another scheme', (token: string) => `Token ${token}`],
    ['two tokens', (token: string) => `Bearer ${token} ${token}`],
    ['no token after Bearer', () => 'Bearer'],
    ['a pk_ that is not a key', () => 'Bearer pk_'],
  ])('an Authorization header with %s answers 401', async (_label, header) => {
    const response = await inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: header(victim.token) } });

    expect(response.statusCode).toBe(401);
  });

  it("takes the role from the account, not the token: a validly signed role admin for a user's id acts as that user", async () => {
    await createTask(t.api.app, attacker.token);
    const token = signJwt({ sub: victim.user.id, role: 'admin', iat: nowSeconds(), exp: nowSeconds() + 3600 });

    const users = await inject({ method: 'GET', url: '/api/v1/users', headers: authed(token) });
    const foreign = await inject({ method: 'GET', url: `/api/v1/tasks?userId=${attacker.user.id}`, headers: authed(token) });

    expect(users.statusCode).toBe(403);
    expect(foreign.json()).toMatchObject({ data: [], total: 0 });
  });
});

describe('an admin who loses the role or the account', () => {
  it("a demoted admin's token is refused the admin routes and sees only its own tasks from the next request", async () => {
    const admin = await register(t.api.app);
    await makeAdmin(t.env.db, admin.user.id);
    const othersTask = await createTask(t.api.app, victim.token);
    expect((await inject({ method: 'GET', url: `/api/v1/tasks/${othersTask.id}`, headers: authed(admin.token) })).statusCode).toBe(200);

    await t.env.db.updateTable('users').set({ role: 'user' }).where('id', '=', admin.user.id).execute();

    expect((await inject({ method: 'GET', url: '/api/v1/users', headers: authed(admin.token) })).statusCode).toBe(403);
    expect((await inject({ method: 'GET', url: `/api/v1/tasks/${othersTask.id}`, headers: authed(admin.token) })).statusCode).toBe(404);
    expect((await inject({ method: 'DELETE', url: `/api/v1/users/${victim.user.id}`, headers: authed(admin.token) })).statusCode).toBe(403);
    expect((await whoAmI(t.api.app, victim.token)).statusCode).toBe(200);
  });

  it("a deleted admin's token and key answer 401 everywhere from the next request", async () => {
    const admin = await register(t.api.app);
    await makeAdmin(t.env.db, admin.user.id);
    const { key } = await createApiKey(t.api.app, admin.token);
    await t.env.db.deleteFrom('users').where('id', '=', admin.user.id).execute();

    for (const credential of [admin.token, key]) {
      for (const [method, url] of [
        ['GET', '/api/v1/users'],
        ['GET', '/api/v1/tasks'],
        ['DELETE', `/api/v1/users/${victim.user.id}`],
      ] as const) {
        const response = await inject({ method, url, headers: authed(credential) });
        expect(response.statusCode, `${method} ${url}`).toBe(401);
      }
    }
    expect((await whoAmI(t.api.app, victim.token)).statusCode).toBe(200);
  });

  it("a disabled user's JWT and API key answer 401 on reads and writes alike", async () => {
    const user = await register(t.api.app);
    const { key } = await createApiKey(t.api.app, user.token);
    const task = await createTask(t.api.app, user.token);
    await t.env.db.updateTable('users').set({ disabled: true }).where('id', '=', user.user.id).execute();

    for (const credential of [user.token, key]) {
      for (const [method, url] of [
        ['GET', `/api/v1/tasks/${task.id}`],
        ['DELETE', `/api/v1/tasks/${task.id}`],
        ['POST', `/api/v1/tasks/${task.id}/pause`],
      ] as const) {
        const response = await inject({ method, url, headers: authed(credential) });
        expect(response.json(), `${method} ${url}`).toMatchObject({ statusCode: 401, code: 'PUNCTUAL_ACCOUNT_DISABLED' });
      }
    }
    expect(await t.env.db.selectFrom('tasks').select('status').where('id', '=', task.id).executeTakeFirst()).toEqual({ status: 'pending' });
  });
});

describe("another user's ids answer exactly like missing ones", () => {
  let taskId: string;
  let keyId: string;
  let attackerKey: string;

  beforeAll(async () => {
    taskId = (await createTask(t.api.app, victim.token, { scheduledAt: new Date(Date.now() + 3_600_000).toISOString() })).id;
    keyId = (await createApiKey(t.api.app, victim.token)).id;
    attackerKey = (await createApiKey(t.api.app, attacker.token)).key;
  });

  const taskRoutes = [
    ['GET', ''],
    ['GET', '/status'],
    ['GET', '/logs'],
    ['PATCH', ''],
    ['PUT', ''],
    ...TASK_ACTIONS.map((action) => ['POST', `/${action}`] as const),
    ['DELETE', ''],
  ] as const;

  it.each(taskRoutes)(
    '%s /api/v1/tasks/:id%s: 404, the same body as for a missing id, with a JWT and with a key',
    async (method, suffix) => {
      const payload = method === 'PATCH' || method === 'PUT' ? { name: 'hijacked' } : undefined;
      for (const credential of [attacker.token, attackerKey]) {
        const foreign = await inject({ method, url: `/api/v1/tasks/${taskId}${suffix}`, headers: authed(credential), payload });
        const missing = await inject({ method, url: `/api/v1/tasks/${randomUUID()}${suffix}`, headers: authed(credential), payload });

        expect(foreign.statusCode, foreign.body).toBe(404);
        expect(foreign.json()).toEqual(missing.json());
      }
      const row = await t.env.db.selectFrom('tasks').select(['name', 'status']).where('id', '=', taskId).executeTakeFirst();
      expect(row).toMatchObject({ name: 'Ping billing', status: 'pending' });
    },
  );

  it('the bulk action reports a foreign id as a 404 result, like a missing one', async () => {
    const missingId = randomUUID();
    const response = await inject({
      method: 'POST',
      url: '/api/v1/tasks/bulk',
      headers: authed(attacker.token),
      payload: { ids: [taskId, missingId], action: 'delete' },
    });

    const [foreign, missing] = response.json<{ results: { id: string }[] }>().results;
    expect({ ...foreign, id: undefined }).toEqual({ ...missing, id: undefined });
    expect(foreign).toMatchObject({ id: taskId, ok: false });
    expect(await t.env.db.selectFrom('tasks').select('id').where('id', '=', taskId).executeTakeFirst()).toBeDefined();
  });

  it('DELETE /api/v1/auth/api-keys/:id: 404 like a missing id, and the key survives', async () => {
    const foreign = await inject({ method: 'DELETE', url: `/api/v1/auth/api-keys/${keyId}`, headers: authed(attacker.token) });
    const missing = await inject({ method: 'DELETE', url: `/api/v1/auth/api-keys/${randomUUID()}`, headers: authed(attacker.token) });

    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toEqual(missing.json());
    expect(await t.env.db.selectFrom('api_keys').select('id').where('id', '=', keyId).executeTakeFirst()).toBeDefined();
  });

  it('GET /api/v1/logs?taskId= of a foreign task lists nothing', async () => {
    const response = await inject({ method: 'GET', url: `/api/v1/logs?taskId=${taskId}`, headers: authed(attacker.token) });

    expect(response.json()).toMatchObject({ data: [], total: 0 });
  });
});

describe('the admin routes refuse users before looking at their input', () => {
  it.each([
    ['GET', '/api/v1/users?limit=1000', undefined],
    ['PATCH', '/api/v1/users/not-a-uuid', { role: 'admin' }],
    ['PATCH', `/api/v1/users/${randomUUID()}`, { role: 'admin', extra: 1 }],
    ['DELETE', '/api/v1/users/not-a-uuid', undefined],
  ] as const)('%s %s: 403, not a 400 or 404 that would say something', async (method, url, payload) => {
    const response = await inject({ method, url, headers: authed(attacker.token), payload });

    expect(response.statusCode, response.body).toBe(403);
    expect(response.json()).toMatchObject({ code: 'PUNCTUAL_ADMIN_REQUIRED' });
  });

  it('a user cannot promote themselves', async () => {
    const response = await inject({
      method: 'PATCH',
      url: `/api/v1/users/${attacker.user.id}`,
      headers: authed(attacker.token),
      payload: { role: 'admin' },
    });

    expect(response.statusCode).toBe(403);
    expect((await whoAmI(t.api.app, attacker.token)).json()).toMatchObject({ role: 'user' });
  });
});
