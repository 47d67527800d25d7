import { randomBytes, randomUUID, scryptSync } from 'node:crypto';
import { AdminBootstrapRefusedError, bootstrapAdmin } from '@punctual/core';
import { taskAttemptJobId } from '@punctual/queue';
import { createTestEnvironment, withPostgresClient, type TestEnvironment } from '@punctual/testing';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, makeAdmin, whoAmI } from './credentials-fixtures.js';
import { authed, createTask, createTestApp, login, PASSWORD, register, type Session, type TestApp, useTestApp } from './test-app.js';

const t = useTestApp({ users: ['admin'] });
const { admin } = t.users;

beforeAll(async () => {
  await makeAdmin(t.env.db, admin.user.id);
});

const inject = (options: InjectOptions) => t.api.app.inject(options);

function changePassword(token: string, currentPassword: string, newPassword: string) {
  return inject({ method: 'POST', url: '/api/v1/auth/password', headers: authed(token), payload: { currentPassword, newPassword } });
}

function patchUser(token: string, id: string, payload: Record<string, unknown>) {
  return inject({ method: 'PATCH', url: `/api/v1/users/${id}`, headers: authed(token), payload });
}

async function storedHash(userId: string): Promise<string> {
  const row = await t.env.db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow();
  return row.password_hash;
}

describe('POST /api/v1/auth/password', () => {
  it('ends every JWT issued before (the caller’s too), and only the new password logs in (204)', async () => {
    const first = await register(t.api.app);
    const second = await login(t.api.app, first.user.email);
    const newPassword = 'a brand new passphrase';

    const response = await changePassword(first.token, PASSWORD, newPassword);

    expect(response.statusCode, response.body).toBe(204);
    for (const token of [first.token, second.token]) {
      const me = await whoAmI(t.api.app, token);
      expect(me.statusCode).toBe(401);
      expect(me.json()).toMatchObject({ code: 'PUNCTUAL_SESSION_ENDED' });
    }
    const oldPassword = await inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: first.user.email, password: PASSWORD },
    });
    expect(oldPassword.statusCode).toBe(401);
    const fresh = await login(t.api.app, first.user.email, newPassword);
    expect((await whoAmI(t.api.app, fresh.token)).statusCode).toBe(200);
  });

  it('leaves API keys working', async () => {
    const session = await register(t.api.app);
    const { key } = await createApiKey(t.api.app, session.token);

    await changePassword(session.token, PASSWORD, 'another passphrase');

    expect((await whoAmI(t.api.app, key)).statusCode).toBe(200);
  });

  it('refuses a wrong current password with 403, and changes nothing', async () => {
    const session = await register(t.api.app);
    const before = await storedHash(session.user.id);

    const response = await changePassword(session.token, 'not my password', 'another passphrase');

    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'PUNCTUAL_WRONG_PASSWORD', message: expect.stringContaining('body/currentPassword') });
    expect(await storedHash(session.user.id)).toBe(before);
    expect((await whoAmI(t.api.app, session.token)).statusCode).toBe(200);
  });

  it.each([
    ['a new password shorter than 8 characters', { currentPassword: PASSWORD, newPassword: 'short' }, 'body/newPassword'],
    ['no current password', { newPassword: 'long enough password' }, 'body/currentPassword'],
    ['an unknown field', { currentPassword: PASSWORD, newPassword: 'long enough password', email: 'x@y.z' }, 'body/email'],
  ])('refuses %s with 400 naming the field', async (_label, payload, field) => {
    const response = await inject({ method: 'POST', url: '/api/v1/auth/password', headers: authed(admin.token), payload });

    expect(response.statusCode).toBe(400);
    expect(response.json<{ message: string }>().message).toContain(field);
  });
});

describe('GET /api/v1/users', () => {
  it('lists accounts with disabled for an admin, filtered by part of the email in any case, paginated', async () => {
    const tag = randomUUID().slice(0, 8);
    const alice = await register(t.api.app, `alice-${tag}@example.com`);
    await register(t.api.app, `bob-${tag}@example.com`);
    await patchUser(admin.token, alice.user.id, { disabled: true });

    const response = await inject({ method: 'GET', url: `/api/v1/users?q=${tag.toUpperCase()}&limit=1`, headers: authed(admin.token) });

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ data: [{ ...alice.user, disabled: true }], page: 1, limit: 1, total: 2 });
  });

  it('treats % and _ in q as text, not patterns', async () => {
    const response = await inject({ method: 'GET', url: '/api/v1/users?q=%25', headers: authed(admin.token) });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ data: [], total: 0 });
  });

  it('answers 403 to a user who is not an admin', async () => {
    const user = await register(t.api.app);

    const response = await inject({ method: 'GET', url: '/api/v1/users', headers: authed(user.token) });

    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'PUNCTUAL_ADMIN_REQUIRED' });
  });

  it('answers 400 naming querystring/limit for a limit over 100', async () => {
    const response = await inject({ method: 'GET', url: '/api/v1/users?limit=101', headers: authed(admin.token) });

    expect(response.statusCode).toBe(400);
    expect(response.json<{ message: string }>().message).toContain('querystring/limit');
  });
});

describe('PATCH /api/v1/users/:id', () => {
  it('disables an account: its JWT and API key answer 401 from the next request, it cannot log in; enabling restores them', async () => {
    const user = await register(t.api.app);
    const { key } = await createApiKey(t.api.app, user.token);

    const disabled = await patchUser(admin.token, user.user.id, { disabled: true });

    expect(disabled.statusCode, disabled.body).toBe(200);
    expect(disabled.json()).toEqual({ ...user.user, disabled: true });
    for (const credential of [user.token, key]) {
      const me = await whoAmI(t.api.app, credential);
      expect(me.statusCode).toBe(401);
      expect(me.json()).toMatchObject({ code: 'PUNCTUAL_ACCOUNT_DISABLED' });
    }
    const loginResponse = await inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.user.email, password: PASSWORD },
    });
    expect(loginResponse.statusCode).toBe(401);
    expect(loginResponse.json()).toMatchObject({ code: 'PUNCTUAL_ACCOUNT_DISABLED' });

    expect((await patchUser(admin.token, user.user.id, { disabled: false })).statusCode).toBe(200);
    expect((await whoAmI(t.api.app, user.token)).statusCode).toBe(200);
    expect((await whoAmI(t.api.app, key)).statusCode).toBe(200);
  });

  it('promotes a user: their existing token (issued with role user) acts as an admin from the next request', async () => {
    const user = await register(t.api.app);
    expect((await inject({ method: 'GET', url: '/api/v1/users', headers: authed(user.token) })).statusCode).toBe(403);

    const promoted = await patchUser(admin.token, user.user.id, { role: 'admin' });

    expect(promoted.json()).toMatchObject({ role: 'admin', disabled: false });
    expect((await inject({ method: 'GET', url: '/api/v1/users', headers: authed(user.token) })).statusCode).toBe(200);
    expect((await whoAmI(t.api.app, user.token)).json()).toMatchObject({ role: 'admin' });
  });

  it.each([
    ['an empty body', {}, 'body'],
    ['an unknown role', { role: 'root' }, 'body/role'],
    ['a string for disabled', { disabled: 'yes' }, 'body/disabled'],
    ['an unknown field', { email: 'x@example.com' }, 'body/email'],
  ])('refuses %s with 400 naming the field', async (_label, payload, field) => {
    const response = await patchUser(admin.token, admin.user.id, payload);

    expect(response.statusCode).toBe(400);
    expect(response.json<{ message: string }>().message).toContain(field);
  });

  it('answers 404 for an unknown user and 400 naming params/id for an id that is not a UUID', async () => {
    expect((await patchUser(admin.token, randomUUID(), { disabled: true })).statusCode).toBe(404);
    const malformed = await patchUser(admin.token, 'nope', { disabled: true });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json<{ message: string }>().message).toContain('params/id');
  });
});

describe('DELETE /api/v1/users/:id', () => {
  it("removes the user's tasks, logs and keys, withdraws their queued attempts, and ends their credentials (204)", async () => {
    const user = await register(t.api.app);
    const { key } = await createApiKey(t.api.app, user.token);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const task = await createTask(t.api.app, user.token, { scheduledAt: later });
    const row = await t.env.db.selectFrom('tasks').select(['id', 'version']).where('id', '=', task.id).executeTakeFirstOrThrow();
    await t.env.db
      .insertInto('task_logs')
      .values({ task_id: task.id, user_id: user.user.id, run_id: randomUUID(), attempt: 1, scheduled_for: new Date(), worker_id: 'test' })
      .execute();
    const jobId = taskAttemptJobId({ taskId: row.id, version: row.version });
    expect(await t.api.queue.queue.getJob(jobId)).toBeDefined();

    const response = await inject({ method: 'DELETE', url: `/api/v1/users/${user.user.id}`, headers: authed(admin.token) });

    expect(response.statusCode, response.body).toBe(204);
    for (const table of ['tasks', 'task_logs', 'api_keys'] as const) {
      const rows = await t.env.db.selectFrom(table).select('user_id').where('user_id', '=', user.user.id).execute();
      expect(rows, table).toEqual([]);
    }
    expect(await t.api.queue.queue.getJob(jobId)).toBeUndefined();
    expect((await whoAmI(t.api.app, user.token)).json()).toMatchObject({ statusCode: 401, code: 'PUNCTUAL_ACCOUNT_GONE' });
    expect((await whoAmI(t.api.app, key)).statusCode).toBe(401);
    expect((await inject({ method: 'DELETE', url: `/api/v1/users/${user.user.id}`, headers: authed(admin.token) })).statusCode).toBe(404);
  });

  it('answers 403 to a user who is not an admin, and deletes nothing', async () => {
    const user = await register(t.api.app);
    const victim = await register(t.api.app);

    const response = await inject({ method: 'DELETE', url: `/api/v1/users/${victim.user.id}`, headers: authed(user.token) });

    expect(response.statusCode).toBe(403);
    expect((await whoAmI(t.api.app, victim.token)).statusCode).toBe(200);
  });
});

describe('the last active admin', () => {
  // Its own database, so the admins in it are exactly the ones these cases make.
  let loneEnv: TestEnvironment;
  let lone: TestApp;
  let root: Session;

  beforeAll(async () => {
    loneEnv = await createTestEnvironment();
    lone = await createTestApp(loneEnv);
    root = await register(lone.app);
    await makeAdmin(loneEnv.db, root.user.id);
  });

  afterAll(async () => {
    await lone?.close();
    await loneEnv?.cleanup();
  });

  const act = (token: string, method: 'PATCH' | 'DELETE', id: string, payload?: Record<string, unknown>) =>
    lone.app.inject({ method, url: `/api/v1/users/${id}`, headers: authed(token), payload });

  it.each([
    ['demoted', 'PATCH', { role: 'user' }],
    ['disabled', 'PATCH', { disabled: true }],
    ['deleted', 'DELETE', undefined],
  ] as const)('cannot be %s (409), and stays an active admin', async (_label, method, payload) => {
    const response = await act(root.token, method, root.user.id, payload);

    expect(response.statusCode, response.body).toBe(409);
    expect(response.json()).toMatchObject({ code: 'PUNCTUAL_LAST_ADMIN' });
    const row = await loneEnv.db.selectFrom('users').select(['role', 'disabled']).where('id', '=', root.user.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ role: 'admin', disabled: false });
  });

  it('does not count a disabled admin as active', async () => {
    const dormant = await register(lone.app);
    await loneEnv.db.updateTable('users').set({ role: 'admin', disabled: true }).where('id', '=', dormant.user.id).execute();

    const response = await act(root.token, 'PATCH', root.user.id, { role: 'user' });

    expect(response.statusCode).toBe(409);
    await loneEnv.db.deleteFrom('users').where('id', '=', dormant.user.id).execute();
  });

  it('can be changed once another admin is active', async () => {
    const second = await register(lone.app);
    await makeAdmin(loneEnv.db, second.user.id);

    const demoted = await act(root.token, 'PATCH', second.user.id, { role: 'user' });

    expect(demoted.statusCode).toBe(200);
    expect((await act(root.token, 'PATCH', root.user.id, { role: 'user' })).statusCode).toBe(409);
  });

  it('survives two admins demoting each other at the same moment: exactly one succeeds', async () => {
    const other = await register(lone.app);
    await makeAdmin(loneEnv.db, other.user.id);
    // Force the interleaving that loses the last admin without serialization: the demotion of root checks for another
    // active admin, then waits on root's row (held here) while the demotion of the other admin runs to its end.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = loneEnv.db.transaction().execute(async (trx) => {
      await trx.selectFrom('users').select('id').where('id', '=', root.user.id).forUpdate().execute();
      locked();
      await released;
    });
    await isLocked;

    const demoteRoot = act(other.token, 'PATCH', root.user.id, { role: 'user' });
    await waitForLockWaits(loneEnv, 1);
    const demoteOther = act(root.token, 'PATCH', other.user.id, { role: 'user' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    await holder;
    const results = await Promise.all([demoteRoot, demoteOther]);

    expect(results.map((response) => response.statusCode).sort()).toEqual([200, 409]);
    const admins = await loneEnv.db.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled', '=', false).execute();
    expect(admins).toHaveLength(1);
    // Put root back in charge for the cases after this one.
    await makeAdmin(loneEnv.db, root.user.id);
    await loneEnv.db.updateTable('users').set({ role: 'user' }).where('id', '=', other.user.id).execute();
  });
});

/** Resolves once `count` sessions of this test database wait on a lock (fails after 10 s). */
async function waitForLockWaits(environment: TestEnvironment, count: number): Promise<void> {
  await withPostgresClient(environment.databaseUrl, async (client) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await client.query<{ waiting: string }>(
        "SELECT count(*) AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      if (Number(rows[0]?.waiting) >= count) return;
      if (Date.now() > deadline) throw new Error('no session waited on a lock within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
}

describe('admin bootstrap (ADMIN_EMAIL, ADMIN_PASSWORD)', () => {
  it('refuses to promote an existing account that is not an admin, and changes nothing', async () => {
    const user = await register(t.api.app);
    const before = await t.env.db.selectFrom('users').selectAll().where('id', '=', user.user.id).executeTakeFirstOrThrow();

    const refusal = await bootstrapAdmin(t.env.db, { email: user.user.email.toUpperCase(), password: 'a takeover password' }).then(
      () => null,
      (error: unknown) => error,
    );

    expect(refusal).toBeInstanceOf(AdminBootstrapRefusedError);
    expect((refusal as Error).message).toMatch(/belongs to an existing account that is not an admin/);
    expect((refusal as Error).message).not.toContain('a takeover password');
    expect(await t.env.db.selectFrom('users').selectAll().where('id', '=', user.user.id).executeTakeFirstOrThrow()).toEqual(before);
  });

  it('sets the configured password of an existing admin', async () => {
    const email = `root-${randomUUID()}@example.com`;
    await bootstrapAdmin(t.env.db, { email, password: 'first admin password' });

    const again = await bootstrapAdmin(t.env.db, { email, password: 'second admin password' });

    expect(again).toMatchObject({ email, role: 'admin' });
    expect((await login(t.api.app, email, 'second admin password')).user.role).toBe('admin');
  });
});

describe('password hashing', () => {
  it("stores a new password as argon2id with OWASP's parameters (m=19 MiB, t=2, p=1)", async () => {
    const user = await register(t.api.app);

    expect(await storedHash(user.user.id)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  });

  it('upgrades a weaker hash (scrypt N=2^14, as before) at the next successful login, and the password keeps working', async () => {
    const user = await register(t.api.app);
    const salt = randomBytes(16);
    const key = scryptSync(PASSWORD.normalize('NFKC'), salt, 64, { N: 16_384, r: 8, p: 1 });
    const legacy = ['scrypt', 16_384, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
    await t.env.db.updateTable('users').set({ password_hash: legacy }).where('id', '=', user.user.id).execute();

    const wrong = await inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.user.email, password: 'wrong password' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(await storedHash(user.user.id)).toBe(legacy);

    await login(t.api.app, user.user.email);
    expect(await storedHash(user.user.id)).toMatch(/^\$argon2id\$/);
    await login(t.api.app, user.user.email);
  });

  // Work is measured as this process's CPU time (the hash runs on libuv's pool, in this process), not wall time,
  // which a loaded machine stretches at random. Skipping the hash would make one case ~100× cheaper, not 3×.
  it('does the same hashing work for an unknown email as for a wrong password at login', async () => {
    const user = await register(t.api.app);
    const time = async (email: string) => {
      const started = process.cpuUsage();
      const response = await inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'wrong password' } });
      expect(response.statusCode).toBe(401);
      return cpuMicrosSince(started);
    };

    const known = median([await time(user.user.email), await time(user.user.email), await time(user.user.email)]);
    const unknown = median([
      await time(`nobody-${randomUUID()}@example.com`),
      await time(`nobody-${randomUUID()}@example.com`),
      await time(`nobody-${randomUUID()}@example.com`),
    ]);

    expect(unknown).toBeGreaterThan(known / 3);
  });

  it('does the same hashing work for a taken email as for a new one at register', async () => {
    const taken = (await register(t.api.app)).user.email;
    const time = async (email: string, status: number) => {
      const started = process.cpuUsage();
      const response = await inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: PASSWORD } });
      expect(response.statusCode).toBe(status);
      return cpuMicrosSince(started);
    };

    const fresh = median([
      await time(`new-${randomUUID()}@example.com`, 201),
      await time(`new-${randomUUID()}@example.com`, 201),
      await time(`new-${randomUUID()}@example.com`, 201),
    ]);
    const existing = median([await time(taken, 409), await time(taken, 409), await time(taken, 409)]);

    expect(existing).toBeGreaterThan(fresh / 3);
  });
});

function cpuMicrosSince(started: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(started);
  return user + system;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

describe('the OpenAPI document', () => {
  it('describes every credential and account route with its operationId and its 403', async () => {
    const document = (await inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { operationId?: string; responses: Record<string, unknown> }>>;
    }>();

    const operations = [
      ['/api/v1/auth/api-keys', 'post', 'createApiKey'],
      ['/api/v1/auth/api-keys', 'get', 'listApiKeys'],
      ['/api/v1/auth/api-keys/{id}', 'delete', 'deleteApiKey'],
      ['/api/v1/auth/password', 'post', 'changePassword'],
      ['/api/v1/users', 'get', 'listUsers'],
      ['/api/v1/users/{id}', 'patch', 'updateUser'],
      ['/api/v1/users/{id}', 'delete', 'deleteUser'],
    ] as const;
    for (const [path, method, operationId] of operations) {
      const operation = document.paths[path]?.[method];
      expect(operation?.operationId, `${method} ${path}`).toBe(operationId);
      expect(Object.keys(operation?.responses ?? {}), `${method} ${path}`).toEqual(expect.arrayContaining(['401', '403']));
    }
  });
});
