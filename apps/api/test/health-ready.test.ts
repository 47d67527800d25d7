import { createDatabase } from '@punctual/db';
import { CHECKS_UP_ON_REDIS, startRedisServer, startSilentServer, type RedisServer, type SilentServer } from '@punctual/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, useTestApp } from './test-app.js';

interface Readiness {
  status: string;
  checks: Record<string, { status: string; latencyMs: number; error?: string }>;
}

/** A health check gives up after 2 s; a loaded machine gets the rest. */
const BOUND_MS = 4_000;

const t = useTestApp();

async function timed(app: TestApp, url: string) {
  const started = performance.now();
  const response = await app.app.inject({ method: 'GET', url });
  return { response, elapsedMs: performance.now() - started };
}

describe('GET /health/ready', () => {
  it('answers 200 ok while Postgres and Redis answer', async () => {
    const response = await t.api.app.inject({ method: 'GET', url: '/health/ready' });

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', checks: CHECKS_UP_ON_REDIS });
  });

  it('is documented in the OpenAPI document without security, with its 200 and 503', async () => {
    const document = (await t.api.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    }>();
    const operation = document.paths['/health/ready']?.get;

    expect(operation?.security ?? []).toEqual([]);
    expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(['200', '503']));
  });
});

describe('with its Redis stopped', () => {
  let redis: RedisServer;
  let app: TestApp;

  beforeAll(async () => {
    redis = await startRedisServer();
    app = await createTestApp(t.env, { redisUrl: redis.url });
    // Connected first, so what is tested is a Redis that goes away under a live client (whose commands then wait).
    expect(await app.queueBackend.waitUntilReady(10_000)).toBe(true);
    expect((await app.app.inject({ method: 'GET', url: '/health/ready' })).json<Readiness>().status).toBe('ok');
    await redis.stop();
  });

  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('stays ready: /health/ready answers 200 degraded, in bounded time', async () => {
    const { response, elapsedMs } = await timed(app, '/health/ready');

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<Readiness>()).toMatchObject({
      status: 'degraded',
      checks: { postgres: { status: 'up' }, redis: { status: 'down' } },
    });
    expect(elapsedMs).toBeLessThan(BOUND_MS);
  });

  it('says degraded on /health (503) without hanging', async () => {
    const { response, elapsedMs } = await timed(app, '/health');

    expect(response.statusCode).toBe(503);
    expect(response.json<Readiness>()).toMatchObject({
      status: 'degraded',
      checks: { redis: { status: 'down', error: expect.any(String) } },
    });
    expect(elapsedMs).toBeLessThan(BOUND_MS);
  });
});

describe('with Postgres unreachable', () => {
  let silent: SilentServer;
  let refused: TestApp;
  let hanging: TestApp;
  const databases: ReturnType<typeof createDatabase>[] = [];

  beforeAll(async () => {
    silent = await startSilentServer();
    // Port 1: nothing listens, the connection is refused at once. The silent server accepts and never answers.
    databases.push(createDatabase('postgres://postgres@127.0.0.1:1/punctual'));
    databases.push(createDatabase(`postgres://postgres@127.0.0.1:${silent.port}/punctual`));
    refused = await createTestApp({ ...t.env, db: databases[0]! });
    hanging = await createTestApp({ ...t.env, db: databases[1]! });
  });

  afterAll(async () => {
    await refused?.close();
    await hanging?.close();
    await silent?.close();
    await Promise.all(databases.map((db) => db.destroy()));
  });

  it.each([
    ['refuses connections', () => refused],
    ['accepts connections and never answers', () => hanging],
  ])('answers /health/ready 503 unready, in bounded time, when Postgres %s', async (_case, app) => {
    const { response, elapsedMs } = await timed(app(), '/health/ready');

    expect(response.statusCode, response.body).toBe(503);
    expect(response.json<Readiness>()).toMatchObject({
      status: 'unready',
      checks: { postgres: { status: 'down', error: expect.any(String) }, redis: { status: 'up' } },
    });
    expect(elapsedMs).toBeLessThan(BOUND_MS);
  });

  it('keeps /health/live at 200', async () => {
    const response = await hanging.app.inject({ method: 'GET', url: '/health/live' });

    expect(response.statusCode).toBe(200);
  });
});
