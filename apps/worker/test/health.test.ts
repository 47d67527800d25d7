import { createDatabase, pingDatabase } from '@punctual/db';
import {
  CHECKS_UP_ON_REDIS,
  startRedisServer,
  startWorker,
  timedStop,
  useTestEnvironment,
  type PunctualProcess,
  type RedisServer,
} from '@punctual/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerHttpServer } from '../src/http-server.js';

interface Health {
  status: string;
  checks: Record<string, { status: string; latencyMs: number; error?: string }>;
}

/** Each check gives up after 2 s; a loaded machine gets the rest. */
const BOUND_MS = 5_000;

const environment = useTestEnvironment();
let redis: RedisServer;
let worker: PunctualProcess & { healthUrl: string };

beforeAll(async () => {
  redis = await startRedisServer();
  worker = await startWorker({ ...environment().processEnv, QUEUE_BACKEND: 'redis', REDIS_URL: redis.url });
}, 60_000);

afterAll(async () => {
  // Already stopped by the last case unless an earlier one failed.
  await worker?.kill();
  await redis?.stop();
});

async function get(path: string): Promise<{ status: number; body: Health; elapsedMs: number }> {
  const started = performance.now();
  const response = await fetch(`${worker.healthUrl}${path}`, { signal: AbortSignal.timeout(15_000) });
  return { status: response.status, body: (await response.json()) as Health, elapsedMs: performance.now() - started };
}

describe("a real worker's health server", () => {
  it('is ready while Postgres and its queue answer', async () => {
    const ready = await get('/health/ready');

    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok', checks: CHECKS_UP_ON_REDIS });
  });

  describe('once its Redis is stopped', () => {
    beforeAll(async () => {
      await redis.stop();
    });

    it('answers /health 503 degraded with Redis down, in bounded time (its queue client would wait for ever)', async () => {
      const health = await get('/health');

      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ status: 'degraded', checks: { postgres: { status: 'up' }, redis: { status: 'down' } } });
      expect(health.elapsedMs).toBeLessThan(BOUND_MS);
    });

    it('stays ready: /health/ready answers 200 degraded (a queue outage must not take every worker out of service)', async () => {
      const ready = await get('/health/ready');

      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({
        status: 'degraded',
        checks: { postgres: { status: 'up' }, redis: { status: 'down', error: expect.any(String) } },
      });
      expect(ready.elapsedMs).toBeLessThan(BOUND_MS);
    });

    it('stays live', async () => {
      const response = await fetch(`${worker.healthUrl}/health/live`);

      expect(response.status).toBe(200);
    });

    it('stops on SIGTERM with exit code 0 in bounded time, having warned once that Redis does not answer', async () => {
      const { code, elapsedMs } = await timedStop(worker, 'SIGTERM', 30_000);

      expect(code, worker.output()).toBe(0);
      // BullMQ's close never settles without Redis: the worker gives up on it after 3 s (the maintenance loop's stop
      // and the queue's close are bounded the same way); the rest is a loaded machine's margin.
      expect(elapsedMs).toBeLessThan(10_000);
      expect(worker.output()).toMatch(/"msg":"stopped"/);
      expect(worker.output()).not.toMatch(/"msg":"worker error"/);
      expect(worker.output().match(/"msg":"Redis does not answer; the worker waits for it/g)).toHaveLength(1);
      expect(worker.output()).toMatch(/"msg":"Redis does not answer: stopping without closing the queue cleanly"/);
    }, 40_000);
  });
});

describe("the worker's health server with Postgres unreachable", () => {
  // Port 1: nothing listens, so each connection is refused at once.
  const db = createDatabase('postgres://postgres@127.0.0.1:1/punctual', { maxConnections: 1 });
  let http: Awaited<ReturnType<typeof startWorkerHttpServer>>;

  beforeAll(async () => {
    http = await startWorkerHttpServer({
      host: '127.0.0.1',
      port: 0,
      checks: { postgres: () => pingDatabase(db), queue: () => Promise.resolve() },
      checkTimeoutMs: 2_000,
      queueBackend: 'redis',
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => http?.server.close(resolve));
    await db.destroy().catch(() => {});
  });

  it('answers /health/ready 503 unready (no attempt can be claimed or recorded) and /health 503 degraded', async () => {
    const [ready, health] = await Promise.all(
      ['/health/ready', '/health'].map((path) => fetch(`http://127.0.0.1:${http.port}${path}`, { signal: AbortSignal.timeout(15_000) })),
    );

    expect(ready!.status).toBe(503);
    expect(await ready!.json()).toMatchObject({ status: 'unready', checks: { postgres: { status: 'down' }, redis: { status: 'up' } } });
    expect(health!.status).toBe(503);
    expect(await health!.json()).toMatchObject({ status: 'degraded', version: expect.any(String) });
  });
});
