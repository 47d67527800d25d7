import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Extends the lock only while this holder still owns it. */
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
/** Releases the lock only while this holder still owns it. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * A lock that at most one process holds at a time, so that one worker at a time runs the maintenance loop. Each
 * backend has its own (Redis: an expiring key; Postgres: a session advisory lock); a dead holder is replaced.
 */
export interface LeaderLock {
  /** Takes the lock when it is free, or renews it when this process holds it; says whether this process holds it now. */
  acquire(): Promise<boolean>;
  /** Lets go of the lock if this process holds it; bounded, so it never holds a shutdown up (a lock not released lapses). */
  release(): Promise<void>;
}

/** The Redis lock: a key that lapses `ttlMs` after its holder stops renewing it (a crashed holder is replaced within one ttl). */
export function createRedisLeaderLock(redis: Redis, options: { key: string; ttlMs: number }): LeaderLock {
  const token = randomUUID();
  let held = false;
  return {
    async acquire() {
      if (held && (await redis.eval(EXTEND, 1, options.key, token, String(options.ttlMs))) === 1) return true;
      held = (await redis.set(options.key, token, 'PX', options.ttlMs, 'NX')) === 'OK';
      return held;
    },
    async release() {
      if (!held) return;
      held = false;
      // With Redis away the release would wait for it: the key lapses by itself within one ttl instead.
      if (redis.status !== 'ready') return;
      await redis.eval(RELEASE, 1, options.key, token);
    },
  };
}
