import { setTimeout as sleep } from 'node:timers/promises';
import {
  assertRedisReachable,
  createRedisConnection,
  evictionPolicyWarning,
  redisAnswers,
  RedisUnavailableError,
  waitForRedisReady,
  withRedis,
} from '@punctual/queue';
import { freePort, startRedisServer, startSilentServer, useTestEnvironment } from '@punctual/testing';
import { describe, expect, it } from 'vitest';

const env = useTestEnvironment();

describe('a fail-fast (request-path) Redis connection', () => {
  it('refuses commands until it has connected: why a process waits for it before serving', async () => {
    const redis = createRedisConnection(env().redisUrl);
    try {
      await expect(redis.ping()).rejects.toThrow(/enableOfflineQueue/);
      expect(await waitForRedisReady(redis, 5_000)).toBe(true);
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('is reported ready without waiting for a ready event when it already is', async () => {
    const redis = createRedisConnection(env().redisUrl);
    try {
      await waitForRedisReady(redis, 5_000);
      const listeners = redis.listenerCount('ready');

      // A bound of ten minutes: only the already-ready path can answer within the race's 5 s.
      const answer = waitForRedisReady(redis, 600_000);
      expect(redis.listenerCount('ready')).toBe(listeners);
      expect(await Promise.race([answer, sleep(5_000, 'still waiting')])).toBe(true);
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

describe('the reachability probes (start-up checks and test fixtures)', () => {
  it('answer true and run commands against a Redis that answers', async () => {
    expect(await redisAnswers(env().redisUrl)).toBe(true);
    await expect(assertRedisReachable(env().redisUrl)).resolves.toBeUndefined();
    expect(await withRedis(env().redisUrl, (redis) => redis.ping())).toBe('PONG');
  });

  it('name the reason and the variable when nothing listens', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    expect(await redisAnswers(url)).toBe(false);
    const error = await assertRedisReachable(url).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).message).toMatch(/^Redis is not answering at 127\.0\.0\.1:\d+ \(REDIS_URL\): connect ECONNREFUSED/);
    await expect(withRedis(url, (redis) => redis.ping())).rejects.toThrow(/ECONNREFUSED/);
  });

  it('give up at their bound when the server accepts the connection and never answers', async () => {
    const silent = await startSilentServer();
    try {
      const started = performance.now();
      expect(await redisAnswers(`redis://127.0.0.1:${silent.port}`, 300)).toBe(false);
      expect(performance.now() - started).toBeLessThan(4_000);
    } finally {
      await silent.close();
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
