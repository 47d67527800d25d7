import { createHmac, randomUUID } from 'node:crypto';
import { bootstrapAdmin } from '@punctual/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authed,
  createTestApp,
  JWT_SECRET,
  login,
  PASSWORD,
  register,
  signJwt,
  type Session,
  type TestApp,
  countTasks,
  useTestApp,
} from './test-app.js';

const t = useTestApp();
/** Same database, registration switched off and an admin configured: what an operator's locked-down deployment runs. */
let lockedDown: TestApp;

const ADMIN_EMAIL = 'Root@Example.com';
const ADMIN_PASSWORD = 'admin-password-123';

beforeAll(async () => {
  lockedDown = await createTestApp(t.env, {
    env: { ALLOW_REGISTRATION: 'false', ADMIN_EMAIL, ADMIN_PASSWORD },
  });
});

afterAll(async () => {
  await lockedDown?.close();
});

const uniqueEmail = () => `user-${randomUUID()}@example.com`;

function post(app: TestApp, url: string, payload: unknown) {
  return app.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });
}

function me(headers: Record<string, string> = {}) {
  return t.api.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers });
}

describe('POST /api/v1/auth/register', () => {
  it('creates a user with role user and a lower-cased email, and returns a working token (201)', async () => {
    const email = `Mixed.Case-${randomUUID()}@Example.COM`;
    const response = await post(t.api, '/api/v1/auth/register', { email, password: PASSWORD });

    expect(response.statusCode).toBe(201);
    const { user, token } = response.json<Session>();
    expect(user).toEqual({ id: expect.any(String), email: email.toLowerCase(), role: 'user', createdAt: expect.any(String) });
    expect(new Date(user.createdAt).toISOString()).toBe(user.createdAt);
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: user.id, role: 'user' });

    const stored = await t.env.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(stored.password_hash).not.toContain(PASSWORD);
  });

  it('refuses an email that is already registered with 409', async () => {
    const email = uniqueEmail();
    await register(t.api.app, email);

    const response = await post(t.api, '/api/v1/auth/register', { email, password: PASSWORD });

    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ statusCode: 409, error: 'Conflict', message: expect.stringContaining('body/email') });
  });

  it('refuses an email that is already registered in another case with 409', async () => {
    const email = uniqueEmail();
    await register(t.api.app, email);

    const response = await post(t.api, '/api/v1/auth/register', { email: email.toUpperCase(), password: PASSWORD });

    expect(response.statusCode).toBe(409);
  });

  it('refuses a password shorter than 8 characters with 400 naming body/password', async () => {
    const response = await post(t.api, '/api/v1/auth/register', { email: uniqueEmail(), password: 'short12' });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining('body/password') });
  });

  it.each([
    ['no @', 'not-an-email'],
    ['nothing before @', '@example.com'],
    ['spaces', 'a b@example.com'],
  ])('refuses an invalid email (%s) with 400 naming body/email', async (_label, email) => {
    const response = await post(t.api, '/api/v1/auth/register', { email, password: PASSWORD });

    expect(response.statusCode).toBe(400);
    expect(response.json<{ message: string }>().message).toContain('body/email');
  });

  it('refuses an unknown body field with 400 naming it', async () => {
    const response = await post(t.api, '/api/v1/auth/register', { email: uniqueEmail(), password: PASSWORD, role: 'admin' });

    expect(response.statusCode).toBe(400);
    expect(response.json<{ message: string }>().message).toContain('body/role');
  });

  it('answers 403 when registration is disabled, and creates no account', async () => {
    const email = uniqueEmail();
    const response = await post(lockedDown, '/api/v1/auth/register', { email, password: PASSWORD });

    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ statusCode: 403, error: 'Forbidden', message: expect.any(String) });
    const row = await t.env.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
    expect(row).toBeUndefined();
  });
});

describe('POST /api/v1/auth/login', () => {
  it('returns the user and a token for the right password (200)', async () => {
    const { user } = await register(t.api.app);

    const response = await post(t.api, '/api/v1/auth/login', { email: user.email, password: PASSWORD });

    expect(response.statusCode).toBe(200);
    const session = response.json<Session>();
    expect(session.user).toEqual(user);
    expect((await me(authed(session.token))).statusCode).toBe(200);
  });

  it('accepts the email in another case', async () => {
    const { user } = await register(t.api.app);

    const session = await login(t.api.app, user.email.toUpperCase());

    expect(session.user.id).toBe(user.id);
  });

  it('answers 401 with the same message for a wrong password and an unknown email', async () => {
    const { user } = await register(t.api.app);

    const wrongPassword = await post(t.api, '/api/v1/auth/login', { email: user.email, password: 'wrong-password' });
    const unknownEmail = await post(t.api, '/api/v1/auth/login', { email: uniqueEmail(), password: PASSWORD });

    expect(wrongPassword.statusCode).toBe(401);
    expect(unknownEmail.statusCode).toBe(401);
    expect(wrongPassword.json()).toEqual(unknownEmail.json());
    expect(wrongPassword.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized', message: expect.any(String) });
  });

  it('logs the bootstrapped admin in with role admin', async () => {
    // What server.ts does at start when ADMIN_EMAIL and ADMIN_PASSWORD are set.
    expect(lockedDown.config.admin).toEqual({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    await bootstrapAdmin(t.env.db, lockedDown.config.admin!);

    const session = await login(lockedDown.app, ADMIN_EMAIL, ADMIN_PASSWORD);

    expect(session.user).toMatchObject({ email: ADMIN_EMAIL.toLowerCase(), role: 'admin' });
    const claims = JSON.parse(Buffer.from(session.token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: session.user.id, role: 'admin' });
  });

  it('bootstraps the admin idempotently: a second start keeps one account', async () => {
    const first = await bootstrapAdmin(t.env.db, lockedDown.config.admin!);
    const second = await bootstrapAdmin(t.env.db, lockedDown.config.admin!);

    expect(second.id).toBe(first.id);
    const rows = await t.env.db.selectFrom('users').select('id').where('email', '=', ADMIN_EMAIL.toLowerCase()).execute();
    expect(rows).toHaveLength(1);
  });
});

describe('GET /api/v1/auth/me', () => {
  it('returns the caller for a valid token (200)', async () => {
    const { user, token } = await register(t.api.app);

    const response = await me(authed(token));

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(user);
  });

  it('answers 401 without a token', async () => {
    const response = await me();

    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized', message: expect.any(String) });
  });

  it.each([
    ['garbage', 'Bearer not-a-jwt'],
    ['an empty bearer', 'Bearer '],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
  ])('answers 401 for %s', async (_label, authorization) => {
    const response = await me({ authorization });

    expect(response.statusCode).toBe(401);
  });

  it('answers 401 for a token signed with another secret', async () => {
    const { user } = await register(t.api.app);
    const token = signJwt({ sub: user.id, role: 'user', iat: nowSeconds(), exp: nowSeconds() + 3600 }, 'y'.repeat(32));

    expect((await me(authed(token))).statusCode).toBe(401);
  });

  it('answers 401 for an unsigned (alg none) token', async () => {
    const { user } = await register(t.api.app);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: user.id, role: 'admin', exp: nowSeconds() + 3600 })}.`;

    expect((await me(authed(token))).statusCode).toBe(401);
  });

  it('answers 401 for a token without exp, and for one signed with HS512 by the same secret', async () => {
    const { user } = await register(t.api.app);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const hs512 = `${encode({ alg: 'HS512', typ: 'JWT' })}.${encode({ sub: user.id, role: 'user', exp: nowSeconds() + 3600 })}`;
    for (const token of [
      signJwt({ sub: user.id, role: 'user', iat: nowSeconds() }),
      `${hs512}.${createHmac('sha512', JWT_SECRET).update(hs512).digest('base64url')}`,
    ]) {
      const response = await me(authed(token));
      expect(response.statusCode).toBe(401);
      expect(response.json<{ message: string }>().message).toBe('the bearer token is invalid');
    }
  });

  it('answers 401 for an expired token, saying it expired', async () => {
    const { user } = await register(t.api.app);
    const token = signJwt({ sub: user.id, role: 'user', iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 });

    const response = await me(authed(token));

    expect(response.statusCode).toBe(401);
    expect(response.json<{ message: string }>().message).toMatch(/expired/);
  });

  it('answers 401 once a token expires, though it was accepted (and its check remembered) before', async () => {
    const { user } = await register(t.api.app);
    // With and without iat: the remembered check must end at exp either way.
    const tokens = [
      signJwt({ sub: user.id, role: 'user', iat: nowSeconds(), exp: nowSeconds() + 1 }),
      signJwt({ sub: user.id, role: 'user', exp: nowSeconds() + 1 }),
    ];
    for (const token of tokens) expect((await me(authed(token))).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    for (const token of tokens) {
      const response = await me(authed(token));
      expect(response.statusCode).toBe(401);
      expect(response.json<{ message: string }>().message).toMatch(/expired/);
    }
  });

  it('accepts a token signed independently with the same secret (the fixture signs what the app would)', async () => {
    const { user } = await register(t.api.app);
    const token = signJwt({ sub: user.id, role: 'user', iat: nowSeconds(), exp: nowSeconds() + 3600 });

    expect((await me(authed(token))).statusCode).toBe(200);
  });

  it('answers 401 for a token whose role is neither user nor admin', async () => {
    const { user } = await register(t.api.app);
    const token = signJwt({ sub: user.id, role: 'superuser', iat: nowSeconds(), exp: nowSeconds() + 3600 });

    expect((await me(authed(token))).statusCode).toBe(401);
  });
});

describe('a valid token whose account was deleted', () => {
  let token: string;

  beforeAll(async () => {
    const session = await register(t.api.app);
    token = session.token;
    await t.env.db.deleteFrom('users').where('id', '=', session.user.id).execute();
  });

  it.each([
    ['without', {}],
    ['with', { 'idempotency-key': `gone-${randomUUID()}` }],
  ])('answers 401 to creating a task (%s an Idempotency-Key), not a 500, and creates nothing', async (_label, headers) => {
    const before = await countTasks(t.env.db);

    const response = await t.api.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: { ...authed(token), ...headers },
      payload: { name: 'orphan', url: 'https://example.com/hook' },
    });

    expect(response.statusCode, response.body).toBe(401);
    expect(response.json()).toMatchObject({
      statusCode: 401,
      error: 'Unauthorized',
      code: 'PUNCTUAL_ACCOUNT_GONE',
      message: expect.stringMatching(/no longer exists/),
    });
    expect(await countTasks(t.env.db)).toBe(before);
  });

  it('answers 401 to /auth/me', async () => {
    const response = await me(authed(token));

    expect(response.statusCode, response.body).toBe(401);
    expect(response.json()).toMatchObject({ code: 'PUNCTUAL_ACCOUNT_GONE' });
  });

  // Every request reads its account, so a deleted account's token is refused everywhere, not only where a row is written.
  it.each([
    ['GET', '/api/v1/tasks'],
    ['GET', '/api/v1/logs'],
    ['GET', '/api/v1/stats'],
    ['GET', `/api/v1/tasks/${randomUUID()}`],
    ['GET', `/api/v1/tasks/${randomUUID()}/status`],
    ['PATCH', `/api/v1/tasks/${randomUUID()}`],
    ['DELETE', `/api/v1/tasks/${randomUUID()}`],
  ] as const)('answers 401 PUNCTUAL_ACCOUNT_GONE to %s %s, never a 500', async (method, url) => {
    const response = await t.api.app.inject({
      method,
      url,
      headers: authed(token),
      ...(method === 'PATCH' ? { payload: { name: 'x' } } : {}),
    });

    expect(response.statusCode, response.body).toBe(401);
    expect(response.json()).toMatchObject({ code: 'PUNCTUAL_ACCOUNT_GONE' });
  });
});

describe('a token whose sub is not a user id', () => {
  it('answers 401 (not a 400 from the database) for a sub that is not a UUID', async () => {
    const token = signJwt({ sub: 'not-a-uuid', role: 'user', iat: nowSeconds(), exp: nowSeconds() + 3600 });

    for (const url of ['/api/v1/auth/me', '/api/v1/tasks']) {
      const response = await t.api.app.inject({ method: 'GET', url, headers: authed(token) });
      expect(response.statusCode, `${url}: ${response.body}`).toBe(401);
    }
  });
});

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
