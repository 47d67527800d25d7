import { createRedisConnection, evictionPolicyWarning, waitForRedisReady } from '@punctual/queue';
import { createTestEnvironment, startRedisServer, type TestEnvironment } from '@punctual/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment();
});
afterAll(async () => {
  await env?.cleanup();
});

describe('a fail-fast (request-path) Redis connection', () => {
  it('refuses commands until it has connected: why a process waits for it before serving', async () => {
    const redis = createRedisConnection(env.redisUrl);
    try {
      await expect(redis.ping()).rejects.toThrow(/enableOfflineQueue/);
      expect(await waitForRedisReady(redis, 5_000)).toBe(true);
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('is reported ready at once when it already is', async () => {
    const redis = createRedisConnection(env.redisUrl);
    try {
      await waitForRedisReady(redis, 5_000);
      const started = performance.now();

      expect(await waitForRedisReady(redis, 5_000)).toBe(true);
      expect(performance.now() - started).toBeLessThan(100);
    } finally {
      redis.disconnect();
    }
  });

  it('gives up after the bound, without throwing, when Redis never answers', async () => {
    const redis = createRedisConnection('redis://127.0.0.1:1');
    try {
      const started = performance.now();

      expect(await waitForRedisReady(redis, 300)).toBe(false);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(3_000);
      expect(redis.listenerCount('ready')).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});

describe('evictionPolicyWarning', () => {
  it('warns about a Redis that may evict queued jobs, and is silent under noeviction', async () => {
    const server = await startRedisServer();
    const redis = createRedisConnection(server.url, { blocking: true });
    try {
      expect(await evictionPolicyWarning(redis)).toBeNull();
      await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
      expect(await evictionPolicyWarning(redis)).toMatch(/maxmemory-policy is "allkeys-lru".*noeviction/);
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });
});
