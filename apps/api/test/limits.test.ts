import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { QueueBackendName } from '@punctual/queue';
import { createTestEnvironment, type TestEnvironment } from '@punctual/testing';
import type { LightMyRequestResponse } from 'fastify';
import helmet from 'helmet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authed, countTasks, createTask, createTestApp, register, taskBody, type Session, type TestApp } from './test-app.js';

let env: TestEnvironment;

beforeAll(async () => {
  env = await createTestEnvironment();
});

const apps: TestApp[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await env?.cleanup();
});

/** An app over this file's database and queue prefix, so every app built here (on one backend) shares the same counters. */
async function appWith(
  extra: Record<string, string>,
  options: { redisUrl?: string; queueBackend?: QueueBackendName } = {},
): Promise<TestApp> {
  const app = await createTestApp(env, { env: extra, ...options });
  apps.push(app);
  return app;
}

/** A 429 in the contract's shape, with a Retry-After within the one-minute window. */
function expectRateLimited(response: LightMyRequestResponse, max: number): void {
  expect(response.statusCode, response.body).toBe(429);
  expect(response.json()).toEqual({
    statusCode: 429,
    error: 'Too Many Requests',
    message: expect.stringMatching(new RegExp(`^too many requests: at most ${max} per minute; retry in `)),
    code: 'PUNCTUAL_RATE_LIMITED',
  });
  const retryAfter = Number(response.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

describe('rate limit per client IP on register and login (AUTH_RATE_LIMIT_MAX)', () => {
  const AUTH_MAX = 3;
  let api: TestApp;
  let proxied: TestApp;

  beforeAll(async () => {
    [api, proxied] = await Promise.all([
      appWith({ AUTH_RATE_LIMIT_MAX: String(AUTH_MAX) }),
      appWith({ AUTH_RATE_LIMIT_MAX: String(AUTH_MAX), TRUST_PROXY: '127.0.0.1' }),
    ]);
  });

  const login = (app: TestApp, remoteAddress: string, headers: Record<string, string> = {}) =>
    app.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress,
      headers,
      payload: { email: 'nobody@example.com', password: 'wrong password' },
    });

  it('answers 429 with Retry-After once one IP has used its logins and registrations, and other IPs go on', async () => {
    const registration = await api.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      remoteAddress: '127.0.0.11',
      payload: { email: `user-${randomUUID()}@example.com`, password: 'long enough password' },
    });
    expect(registration.statusCode, registration.body).toBe(201);
    for (let i = 1; i < AUTH_MAX; i++) expect((await login(api, '127.0.0.11')).statusCode).toBe(401);

    expectRateLimited(await login(api, '127.0.0.11'), AUTH_MAX);
    expect((await login(api, '127.0.0.12')).statusCode).toBe(401);
  });

  it('ignores X-Forwarded-For without TRUST_PROXY: a client cannot reset its count by claiming another address', async () => {
    for (let i = 0; i < AUTH_MAX; i++) expect((await login(api, '127.0.0.13')).statusCode).toBe(401);

    expectRateLimited(await login(api, '127.0.0.13', { 'x-forwarded-for': '198.51.100.7' }), AUTH_MAX);
    expectRateLimited(await login(api, '127.0.0.13', { 'x-forwarded-for': '198.51.100.8, 127.0.0.13' }), AUTH_MAX);
  });

  it('counts by the X-Forwarded-For client when the request comes from a proxy TRUST_PROXY names', async () => {
    const viaProxy = (client: string) => login(proxied, '127.0.0.1', { 'x-forwarded-for': client });
    for (let i = 0; i < AUTH_MAX; i++) expect((await viaProxy('198.51.100.21')).statusCode).toBe(401);

    expectRateLimited(await viaProxy('198.51.100.21'), AUTH_MAX);
    expect((await viaProxy('198.51.100.22')).statusCode).toBe(401);
    // From an address that is not the trusted proxy, the header is still ignored.
    for (let i = 0; i < AUTH_MAX; i++) await login(proxied, '127.0.0.14', { 'x-forwarded-for': '198.51.100.23' });
    expectRateLimited(await login(proxied, '127.0.0.14', { 'x-forwarded-for': '198.51.100.24' }), AUTH_MAX);
  });
});

// Counted in the queue backend's store: Redis keys, or a Postgres table.
describe.each<QueueBackendName>(['redis', 'postgres'])('rate limit per user (RATE_LIMIT_MAX), counted in %s', (queueBackend) => {
  const USER_MAX = 5;
  let api: TestApp;
  let replica: TestApp;
  let alice: Session;
  let bob: Session;

  beforeAll(async () => {
    [api, replica] = await Promise.all([
      appWith({ RATE_LIMIT_MAX: String(USER_MAX) }, { queueBackend }),
      appWith({ RATE_LIMIT_MAX: String(USER_MAX) }, { queueBackend }),
    ]);
    [alice, bob] = await Promise.all([register(api.app), register(api.app)]);
  });

  const me = (app: TestApp, session: Session, remoteAddress = '127.0.0.1') =>
    app.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: authed(session.token), remoteAddress });

  it('answers 429 after RATE_LIMIT_MAX requests of one user, counted across replicas and client addresses', async () => {
    for (let i = 0; i < USER_MAX - 1; i++) expect((await me(api, alice, `127.0.1.${i + 1}`)).statusCode).toBe(200);
    // Another API process sharing the store sees the same count.
    expect((await me(replica, alice)).statusCode).toBe(200);

    expectRateLimited(await me(api, alice), USER_MAX);
    expectRateLimited(await me(replica, alice, '127.0.1.99'), USER_MAX);
    expectRateLimited(
      await api.app.inject({ method: 'POST', url: '/api/v1/tasks', headers: authed(alice.token), payload: { not: 'valid' } }),
      USER_MAX,
    );
  });

  it('leaves other users, health and docs alone', async () => {
    expect((await me(api, bob)).statusCode).toBe(200);
    for (let i = 0; i < USER_MAX * 2; i++) {
      expect((await api.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      expect((await api.app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(200);
    }
  });

  it('serves uncounted while the rate-limit store is away, rather than refusing', async () => {
    const storeDown = await appWith(
      { RATE_LIMIT_MAX: '1', AUTH_RATE_LIMIT_MAX: '1' },
      queueBackend === 'redis' ? { redisUrl: 'redis://127.0.0.1:1', queueBackend } : { queueBackend },
    );
    // Postgres: its counters' table is gone (as a failing store); put back at the end.
    if (queueBackend === 'postgres') await env.db.schema.alterTable('rate_limit_counters').renameTo('rate_limit_counters_away').execute();
    try {
      const session = await register(storeDown.app);
      await register(storeDown.app);
      for (let i = 0; i < 3; i++) expect((await me(storeDown, session)).statusCode).toBe(200);
    } finally {
      if (queueBackend === 'postgres') await env.db.schema.alterTable('rate_limit_counters_away').renameTo('rate_limit_counters').execute();
    }
  });
});

describe('task quota (MAX_TASKS_PER_USER)', () => {
  let api: TestApp;
  let carol: Session;

  beforeAll(async () => {
    api = await appWith({ MAX_TASKS_PER_USER: '2' });
    carol = await register(api.app);
  });

  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
  const create = (headers: Record<string, string> = {}) =>
    api.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: { ...authed(carol.token), ...headers },
      payload: taskBody({ scheduledAt: inAnHour() }),
    });

  it('answers 403 QUOTA_EXCEEDED at the quota, storing nothing, and creates again once a task is cancelled', async () => {
    const first = await createTask(api.app, carol.token, { scheduledAt: inAnHour() });
    await createTask(api.app, carol.token, { cron: '0 0 * * *' });
    const before = await countTasks(env.db);

    const refused = await create();
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json()).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: expect.stringMatching(/^the task quota is reached: at most 2 live/),
      code: 'QUOTA_EXCEEDED',
    });
    const keyed = await create({ 'idempotency-key': 'quota-key' });
    expect(keyed.statusCode, keyed.body).toBe(403);
    expect(keyed.json()).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(await countTasks(env.db)).toBe(before);

    const cancel = await api.app.inject({ method: 'POST', url: `/api/v1/tasks/${first.id}/cancel`, headers: authed(carol.token) });
    expect(cancel.statusCode, cancel.body).toBe(200);
    // The refused key was not kept: it creates now.
    expect((await create({ 'idempotency-key': 'quota-key' })).statusCode).toBe(201);
    expect((await create()).statusCode).toBe(403);
  });

  it('refuses to retry a finished task back to life at the quota', async () => {
    const frank = await register(api.app);
    const finished = await createTask(api.app, frank.token, { scheduledAt: inAnHour() });
    const act = (id: string, action: string) =>
      api.app.inject({ method: 'POST', url: `/api/v1/tasks/${id}/${action}`, headers: authed(frank.token) });
    expect((await act(finished.id, 'cancel')).statusCode).toBe(200);
    const live = await createTask(api.app, frank.token, { scheduledAt: inAnHour() });
    await createTask(api.app, frank.token, { scheduledAt: inAnHour() });

    const refused = await act(finished.id, 'retry');
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'QUOTA_EXCEEDED' });

    expect((await act(live.id, 'cancel')).statusCode).toBe(200);
    expect((await act(finished.id, 'retry')).json()).toMatchObject({ status: 'pending' });
  });

  it('runs finished tasks in bulk only up to the quota: the rest fail alone with 403 QUOTA_EXCEEDED', async () => {
    const grace = await register(api.app);
    const tasks = [
      await createTask(api.app, grace.token, { scheduledAt: inAnHour() }),
      await createTask(api.app, grace.token, { scheduledAt: inAnHour() }),
    ];
    await env.db.updateTable('tasks').set({ status: 'completed', next_run_at: null }).where('user_id', '=', grace.user.id).execute();
    tasks.push(await createTask(api.app, grace.token, { scheduledAt: inAnHour() }));
    await env.db.updateTable('tasks').set({ status: 'completed', next_run_at: null }).where('user_id', '=', grace.user.id).execute();
    const ids = tasks.map((task) => task.id);

    const bulk = await api.app.inject({
      method: 'POST',
      url: '/api/v1/tasks/bulk',
      headers: authed(grace.token),
      payload: { ids, action: 'run' },
    });

    expect(bulk.statusCode, bulk.body).toBe(200);
    const results = bulk.json<{ results: { id: string; ok: boolean; statusCode?: number }[] }>().results;
    expect(results.map((result) => result.id)).toEqual(ids);
    expect(results.filter((result) => result.ok)).toHaveLength(2);
    expect(results.filter((result) => !result.ok)).toEqual([expect.objectContaining({ ok: false, statusCode: 403 })]);
    const live = await env.db
      .selectFrom('tasks')
      .select('id')
      .where('user_id', '=', grace.user.id)
      .where('status', '=', 'pending')
      .execute();
    expect(live).toHaveLength(2);
  });

  it('lets concurrent creates at the quota through only up to it', async () => {
    const dave = await register(api.app);
    const responses = await Promise.all(
      Array.from({ length: 6 }, () =>
        api.app.inject({
          method: 'POST',
          url: '/api/v1/tasks',
          headers: authed(dave.token),
          payload: taskBody({ scheduledAt: inAnHour() }),
        }),
      ),
    );
    expect(responses.map((response) => response.statusCode).sort()).toEqual([201, 201, 403, 403, 403, 403]);
  });
});

describe('shortest cron interval (MIN_CRON_INTERVAL_SECONDS)', () => {
  let api: TestApp;
  let erin: Session;

  beforeAll(async () => {
    api = await appWith({ MIN_CRON_INTERVAL_SECONDS: '60' });
    erin = await register(api.app);
  });

  it.each(['* * * * * *', '*/30 * * * * *', '0,59 * * * * *'])('refuses %s with 400 naming body/cron', async (cron) => {
    const before = await countTasks(env.db);
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: authed(erin.token),
      payload: taskBody({ cron }),
    });

    expect(response.statusCode, response.body).toBe(400);
    expect(response.json()).toMatchObject({ message: expect.stringMatching(/^body\/cron fires [0-9]+ s after .* allowed is 60 s/) });
    expect(await countTasks(env.db)).toBe(before);
  });

  it('accepts a cron at the interval, and refuses an update to a faster one', async () => {
    const task = await createTask(api.app, erin.token, { cron: '* * * * *' });
    const update = await api.app.inject({
      method: 'PATCH',
      url: `/api/v1/tasks/${task.id}`,
      headers: authed(erin.token),
      payload: { cron: '*/10 * * * * *' },
    });

    expect(update.statusCode, update.body).toBe(400);
    expect(update.json<{ message: string }>().message).toMatch(/^body\/cron /);
  });
});

describe('HTTP hardening', () => {
  let api: TestApp;
  let withCors: TestApp;

  beforeAll(async () => {
    [api, withCors] = await Promise.all([appWith({}), appWith({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' })]);
  });

  it('sends helmet security headers on API responses', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/health/live' });

    expect(response.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'strict-transport-security': expect.stringContaining('max-age='),
      'content-security-policy': expect.stringContaining("default-src 'self'"),
    });
  });

  it("sends exactly helmet's default headers, but no upgrade-insecure-requests, on answers, errors and unknown routes alike", async () => {
    // What helmet's own middleware sets on a real node:http response, its CSP without upgrade-insecure-requests (which
    // would blank the dashboard opened over plain HTTP at a LAN address).
    const options = { contentSecurityPolicy: { useDefaults: true, directives: { 'upgrade-insecure-requests': null } } };
    const server = createServer((request, response) => helmet(options)(request, response, () => response.end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const expected: Record<string, string> = {};
    try {
      const { port } = server.address() as AddressInfo;
      (await fetch(`http://127.0.0.1:${port}/`)).headers.forEach((value, name) => {
        if (!['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(name)) expected[name] = value;
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(Object.keys(expected).length).toBeGreaterThan(8);
    expect(expected['content-security-policy']).toContain("default-src 'self'");
    expect(expected['content-security-policy']).not.toContain('upgrade-insecure-requests');

    for (const request of [
      { method: 'GET', url: '/health/live' },
      { method: 'POST', url: '/api/v1/tasks', payload: taskBody() },
      { method: 'GET', url: '/nowhere' },
    ] as const) {
      const response = await api.app.inject(request);
      expect(response.headers, `${request.method} ${request.url}`).toMatchObject(expected);
    }
  });

  it('keeps /docs working under a CSP that allows swagger-ui', async () => {
    const page = await api.app.inject({ method: 'GET', url: '/docs' });
    const script = await api.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });

    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    // swagger-ui's own policy: its scripts and styles from /docs/static, its images and validator badge.
    expect(page.headers['content-security-policy']).toMatch(/img-src 'self' data: validator\.swagger\.io; .*script-src 'self' ;/);
    expect(script.statusCode).toBe(200);
  });

  it('sends no CORS headers when CORS_ORIGINS is unset', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/health/live', headers: { origin: 'https://app.example.com' } });

    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('echoes an origin CORS_ORIGINS allows, on requests and preflights, and no other', async () => {
    const allowed = await withCors.app.inject({ method: 'GET', url: '/health/live', headers: { origin: 'https://app.example.com' } });
    const preflight = await withCors.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/tasks',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
    });
    const other = await withCors.app.inject({ method: 'GET', url: '/health/live', headers: { origin: 'https://evil.example.com' } });

    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(preflight.headers['access-control-allow-methods']).toContain('PATCH');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('documents a 429 on every /api/v1 operation, none on health, and the quota 403 on create', async () => {
    type Operations = Record<string, Record<string, { responses: Record<string, unknown> }>>;
    const { paths } = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Operations }>();
    const operations = Object.entries(paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ name: `${method} ${path}`, codes: Object.keys(operation.responses) })),
    );

    const api1 = operations.filter(({ name }) => name.includes(' /api/v1/'));
    expect(api1.length).toBeGreaterThan(10);
    expect(api1.filter(({ codes }) => !codes.includes('429')).map(({ name }) => name)).toEqual([]);
    expect(operations.find(({ name }) => name === 'get /health')?.codes).not.toContain('429');
    expect(operations.find(({ name }) => name === 'post /api/v1/tasks')?.codes).toContain('403');
  });

  it('gives a client 30 s to send its request and closes a connection idle for 60 s', () => {
    expect(api.app.initialConfig).toMatchObject({ requestTimeout: 30_000, connectionTimeout: 60_000 });
  });
});
