import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, makeAdmin } from './credentials-fixtures.js';
import { authed, createTask, createTestApp, PASSWORD, register, type Session, type TestApp, useTestApp } from './test-app.js';

const ADMIN = { email: 'board-admin@example.com', password: 'board admin password' };
const t = useTestApp({ admin: ADMIN, users: ['user'] });
/** The same database and queue, with BULL_BOARD_READ_ONLY=false. */
let writable: TestApp;

beforeAll(async () => {
  writable = await createTestApp(t.env, { env: { BULL_BOARD_READ_ONLY: 'false' } });
});

afterAll(async () => {
  await writable?.close();
});

function basic(email: string, password: string): { authorization: string } {
  return { authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}` };
}

interface BoardQueue {
  name: string;
  counts: Record<string, number>;
  readOnlyMode: boolean;
}

describe('GET /admin/queues without credentials', () => {
  it.each([
    ['GET', '/admin/queues'],
    ['GET', '/admin/queues/'],
    ['GET', '/admin/queues/queue/tasks'],
    ['GET', '/admin/queues/api/queues'],
    ['GET', '/admin/queues/api/redis/stats'],
    ['GET', '/admin/queues/static/images/logo.svg'],
    ['GET', '/admin/queues/no/such/page'],
    ['PUT', '/admin/queues/api/queues/tasks/clean/failed'],
    ['PUT', '/admin/queues/api/queues/pause'],
  ])('answers %s %s with 401 and a Basic challenge', async (method, url) => {
    const response = await t.api.app.inject({ method: method as 'GET' | 'PUT', url });

    expect(response.statusCode, response.body).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Basic realm="Punctual Bull Board"');
    expect(response.json()).toMatchObject({ statusCode: 401, code: 'PUNCTUAL_UNAUTHORIZED' });
  });
});

describe('GET /admin/queues with the wrong credentials', () => {
  it.each([
    ['a wrong password', () => basic(ADMIN.email, 'not the password'), 'PUNCTUAL_INVALID_CREDENTIALS'],
    ['an unknown email', () => basic('nobody@example.com', PASSWORD), 'PUNCTUAL_INVALID_CREDENTIALS'],
    [
      'basic credentials without a colon',
      () => ({ authorization: `Basic ${Buffer.from('admin').toString('base64')}` }),
      'PUNCTUAL_UNAUTHORIZED',
    ],
    ['an invalid JWT', () => authed('not.a.jwt'), 'PUNCTUAL_UNAUTHORIZED'],
    ['another scheme', () => ({ authorization: 'Digest username="x"' }), 'PUNCTUAL_UNAUTHORIZED'],
  ])('answers 401 with a Basic challenge for %s', async (_case, headers, code) => {
    const response = await t.api.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: headers() });

    expect(response.statusCode, response.body).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Basic realm="Punctual Bull Board"');
    expect(response.json()).toMatchObject({ code });
  });

  it('answers 403 to a user who is not an admin, by password or by JWT, and shows no queue', async () => {
    const byPassword = await t.api.app.inject({
      method: 'GET',
      url: '/admin/queues/api/queues',
      headers: basic(t.users.user.user.email, PASSWORD),
    });
    const byJwt = await t.api.app.inject({ method: 'GET', url: '/admin/queues', headers: authed(t.users.user.token) });

    for (const response of [byPassword, byJwt]) {
      expect(response.statusCode, response.body).toBe(403);
      expect(response.json()).toMatchObject({ code: 'PUNCTUAL_ADMIN_REQUIRED' });
      expect(response.body).not.toContain('"queues"');
    }
  });

  it.each(['/admin/queues/nope', '/admin/queues/api/no/such/route'])(
    'answers 403, not 404, to a JWT of a user who is not an admin on an unknown path (%s); an admin gets the 404',
    async (url) => {
      const asUser = await t.api.app.inject({ method: 'GET', url, headers: authed(t.users.user.token) });
      const asAdmin = await t.api.app.inject({ method: 'GET', url, headers: authed(t.admin.token) });

      expect(asUser.statusCode, asUser.body).toBe(403);
      expect(asUser.json()).toMatchObject({ code: 'PUNCTUAL_ADMIN_REQUIRED' });
      expect(asAdmin.statusCode, asAdmin.body).toBe(404);
    },
  );

  it("answers 403 to an admin's API key: the board takes a person's credentials", async () => {
    const { key } = await createApiKey(t.api.app, t.admin.token);

    const response = await t.api.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: authed(key) });

    expect(response.statusCode, response.body).toBe(403);
    expect(response.json()).toMatchObject({ code: 'PUNCTUAL_SESSION_REQUIRED' });
  });
});

describe('GET /admin/queues as an admin', () => {
  it('serves the board page by basic auth, with a CSP that lets its own scripts and styles load over plain HTTP', async () => {
    const response = await t.api.app.inject({ method: 'GET', url: '/admin/queues', headers: basic(ADMIN.email, ADMIN.password) });

    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('<base href="/admin/queues/"');
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toMatch(/style-src 'self' 'unsafe-inline' https:\/\/fonts\.googleapis\.com/);
    expect(csp).toContain('font-src');
    expect(csp).not.toContain('upgrade-insecure-requests');

    // Every script and stylesheet the page names is served (to the same credentials) from under the board's path.
    const assets = [...response.body.matchAll(/(?:src|href)="(static\/[^"]+\.(?:js|css))"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const url = `/admin/queues/${asset}`;
      const anonymous = await t.api.app.inject({ method: 'GET', url });
      const served = await t.api.app.inject({ method: 'GET', url, headers: basic(ADMIN.email, ADMIN.password) });
      expect(anonymous.statusCode, url).toBe(401);
      expect(served.statusCode, url).toBe(200);
    }
  });

  it("lists the tasks and notifications queues with their counts, to the admin's password and to the admin's JWT alike", async () => {
    await createTask(t.api.app, t.admin.token, { scheduledAt: new Date(Date.now() + 3_600_000).toISOString() });

    for (const headers of [basic(ADMIN.email, ADMIN.password), authed(t.admin.token)]) {
      const response = await t.api.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers });

      expect(response.statusCode, response.body).toBe(200);
      const queues = response.json<{ queues: BoardQueue[] }>().queues;
      expect(queues.map((queue) => queue.name)).toEqual(['tasks', 'notifications']);
      expect(queues[0]).toMatchObject({ readOnlyMode: true, counts: expect.objectContaining({ delayed: 1, failed: 0 }) });
    }
  });

  it('refuses a new password after a password change and a disabled admin at once, though their password was checked before', async () => {
    const other: Session = await register(t.api.app, 'second-admin@example.com');
    await makeAdmin(t.env.db, other.user.id);
    const board = (password = PASSWORD) =>
      t.api.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: basic(other.user.email, password) });
    expect((await board()).statusCode).toBe(200);

    const disable = await t.api.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${other.user.id}`,
      headers: authed(t.admin.token),
      payload: { disabled: true },
    });
    expect(disable.statusCode, disable.body).toBe(200);
    const disabled = await board();
    expect(disabled.statusCode).toBe(401);
    expect(disabled.json()).toMatchObject({ code: 'PUNCTUAL_ACCOUNT_DISABLED' });

    await t.api.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${other.user.id}`,
      headers: authed(t.admin.token),
      payload: { disabled: false },
    });
    expect((await board()).statusCode).toBe(200);
    const change = await t.api.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: authed(other.token),
      payload: { currentPassword: PASSWORD, newPassword: 'a brand new password' },
    });
    expect(change.statusCode, change.body).toBe(204);
    expect((await board()).statusCode).toBe(401);
    expect((await board('a brand new password')).statusCode).toBe(200);
  });
});

describe('read-only mode', () => {
  const mutations = [
    ['PUT', '/admin/queues/api/queues/tasks/clean/failed'],
    ['PUT', '/admin/queues/api/queues/tasks/retry/failed'],
  ] as const;

  it.each(mutations)('refuses %s %s by default (BULL_BOARD_READ_ONLY unset)', async (method, url) => {
    const response = await t.api.app.inject({ method, url, headers: authed(t.admin.token) });

    expect(response.statusCode, response.body).toBe(405);
  });

  it.each(mutations)('allows %s %s with BULL_BOARD_READ_ONLY=false', async (method, url) => {
    const response = await writable.app.inject({ method, url, headers: authed(t.admin.token) });

    expect(response.statusCode, response.body).toBe(200);
    const queues = await writable.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: authed(t.admin.token) });
    expect(queues.json<{ queues: BoardQueue[] }>().queues[0]?.readOnlyMode).toBe(false);
  });

  it('still guards the writable board: no credentials, 401', async () => {
    const response = await writable.app.inject({ method: 'PUT', url: '/admin/queues/api/queues/tasks/clean/failed' });

    expect(response.statusCode).toBe(401);
  });
});

describe('failed basic-auth attempts', () => {
  let limited: TestApp;

  beforeAll(async () => {
    limited = await createTestApp(t.env, { env: { AUTH_RATE_LIMIT_MAX: '3' } });
  });

  afterAll(async () => {
    await limited?.close();
  });

  const board = (remoteAddress: string, headers: Record<string, string>) =>
    limited.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers, remoteAddress });
  const loginFrom = (remoteAddress: string, password: string) =>
    limited.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: ADMIN.email, password }, remoteAddress });

  it('counts each guess before checking it: of 30 parallel wrong guesses with AUTH_RATE_LIMIT_MAX=3, 3 get 401 and 27 get 429', async () => {
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, guess) => board('198.51.100.1', basic(ADMIN.email, `wrong ${guess}`))),
    );
    const statuses = responses.map((response) => response.statusCode);

    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(27);
    const refused = responses.find((response) => response.statusCode === 429)!;
    expect(refused.json()).toMatchObject({ code: 'PUNCTUAL_RATE_LIMITED' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('answers 429 to the right password too once a client IP has spent its budget; a verified password polls uncounted', async () => {
    for (let failure = 0; failure < 3; failure++) {
      expect((await board('198.51.100.7', basic(ADMIN.email, 'wrong'))).statusCode).toBe(401);
    }
    const refused = await board('198.51.100.7', basic(ADMIN.email, ADMIN.password));

    expect(refused.statusCode, refused.body).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'PUNCTUAL_RATE_LIMITED' });
    // Once verified (one count from another IP), the same credentials are served from the cache: a polling page,
    // however often it asks, never locks its admin out.
    for (let poll = 0; poll < 6; poll++) {
      expect((await board('198.51.100.8', basic(ADMIN.email, ADMIN.password))).statusCode).toBe(200);
    }
    expect((await loginFrom('198.51.100.8', 'wrong')).statusCode).toBe(401);
    expect((await loginFrom('198.51.100.8', 'wrong')).statusCode).toBe(401);
    expect((await loginFrom('198.51.100.8', 'wrong')).statusCode).toBe(429);
  });

  it('shares one budget per client IP with POST /api/v1/auth/login, either way round', async () => {
    for (let failure = 0; failure < 3; failure++) {
      expect((await board('198.51.100.9', basic(ADMIN.email, 'wrong'))).statusCode).toBe(401);
    }
    const login = await loginFrom('198.51.100.9', 'wrong');
    expect(login.statusCode, login.body).toBe(429);

    for (let failure = 0; failure < 3; failure++) {
      expect((await loginFrom('198.51.100.10', 'wrong')).statusCode).toBe(401);
    }
    const guess = await board('198.51.100.10', basic(ADMIN.email, 'wrong'));
    expect(guess.statusCode, guess.body).toBe(429);
    expect(guess.headers['retry-after']).toBeDefined();
  });
});
