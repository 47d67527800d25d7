import { createDatabase, pingDatabase } from '@punctual/db';
import { createRedisConnection } from '@punctual/queue';
import { startSilentServer, type SilentServer } from '@punctual/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDependency, healthReport } from '../src/index.js';

let silent: SilentServer | undefined;
afterEach(async () => {
  await silent?.close();
  silent = undefined;
});

describe('checkDependency', () => {
  it('reports up with the latency when the check resolves', async () => {
    const result = await checkDependency(() => new Promise((resolve) => setTimeout(resolve, 50)), 5_000);
    expect(result.status).toBe('up');
    expect(result.error).toBeUndefined();
    expect(result.latencyMs).toBeGreaterThanOrEqual(40);
  });

  it("reports down with the check's own message when it rejects", async () => {
    const result = await checkDependency(() => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')), 5_000);
    expect(result).toMatchObject({ status: 'down', error: 'connect ECONNREFUSED 127.0.0.1:1' });
  });

  // The pool's own connection timeout is 5 s; the check's deadline must answer long before it.
  it('reports down at its deadline when Postgres accepts the connection and never answers', async () => {
    silent = await startSilentServer();
    const db = createDatabase(`postgres://postgres@127.0.0.1:${silent.port}/punctual`, { maxConnections: 1 });
    try {
      const started = performance.now();
      const result = await checkDependency(() => pingDatabase(db), 300);
      expect(result).toMatchObject({ status: 'down', error: 'no answer within 300 ms' });
      expect(result.latencyMs).toBeGreaterThanOrEqual(290);
      expect(performance.now() - started).toBeLessThan(4_000);
    } finally {
      // Hanging up first spares the pool waiting out its own connection timeout.
      await silent.close();
      await db.destroy().catch(() => {});
    }
  });

  // A worker's queue connection retries forever and queues commands while Redis is away: PING alone would never settle.
  it('reports down at its deadline when Redis accepts the connection and never answers', async () => {
    silent = await startSilentServer();
    const redis = createRedisConnection(`redis://127.0.0.1:${silent.port}`, { blocking: true });
    try {
      const started = performance.now();
      const result = await checkDependency(() => redis.ping(), 300);
      expect(result).toMatchObject({ status: 'down', error: 'no answer within 300 ms' });
      expect(performance.now() - started).toBeLessThan(4_000);
    } finally {
      redis.disconnect();
    }
  });
});

describe('healthReport', () => {
  const up = () => Promise.resolve();
  const down = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1'));

  it.each([
    ['both up', up, up, { statusCode: 200, status: 'ok' }, { statusCode: 200, status: 'ok' }],
    ['the queue down', up, down, { statusCode: 503, status: 'degraded' }, { statusCode: 200, status: 'degraded' }],
    ['Postgres down', down, up, { statusCode: 503, status: 'degraded' }, { statusCode: 503, status: 'unready' }],
    ['both down', down, down, { statusCode: 503, status: 'degraded' }, { statusCode: 503, status: 'unready' }],
  ])('with %s: /health %o, /health/ready %o', async (_case, postgres, queue, health, ready) => {
    const report = await healthReport({ postgres, queue }, { timeoutMs: 2_000, queueBackend: 'redis' });

    expect(report.health).toEqual(health);
    expect(report.ready).toEqual(ready);
    const queueStatus = queue === up ? 'up' : 'down';
    expect(report.checks).toEqual({
      postgres: expect.objectContaining({ status: postgres === up ? 'up' : 'down' }),
      queue: expect.objectContaining({ status: queueStatus, backend: 'redis' }),
      redis: expect.objectContaining({ status: queueStatus }),
    });
  });

  it('answers at the deadline while a check hangs, and counts it down', async () => {
    const report = await healthReport({ postgres: up, queue: () => new Promise(() => {}) }, { timeoutMs: 300, queueBackend: 'postgres' });

    // On the Postgres backend there is no redis line.
    expect(report.checks).toEqual({
      postgres: expect.objectContaining({ status: 'up' }),
      queue: expect.objectContaining({ status: 'down', error: 'no answer within 300 ms', backend: 'postgres' }),
    });
    expect(report.ready).toEqual({ statusCode: 200, status: 'degraded' });
  });
});
