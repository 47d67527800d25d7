import type { Redis } from 'ioredis';

export interface LoginAttempts {
  /**
   * Counts one login attempt from the client whose rate-limit key is `clientKey`, before its password is checked.
   * Returns null while the client is within the limit (or Redis cannot say), else the seconds until it may try again.
   */
  reserve(clientKey: string): Promise<number | null>;
}

/**
 * The same script as @fastify/rate-limit's Redis store (INCR, and PEXPIRE on the first count): the counter is a plain
 * integer under the same key, so a login at `/api/v1/auth/login` and a password checked by the Bull Board draw on one
 * budget per client IP. Atomic, so N parallel attempts take N distinct counts and at most `max` are let through.
 */
const RESERVE = `
  local current = redis.call('INCR', KEYS[1])
  if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
  return {current, redis.call('PTTL', KEYS[1])}
`;

/**
 * At most `max` attempts per client per window, counted in Redis (every API replica shares the count) under
 * `nameSpace + clientKey`, the rate limit's own key. While Redis is away nothing is counted and nobody is refused, as
 * with the rate limit (skipOnError).
 */
export function createLoginAttempts(redis: Redis, options: { nameSpace: string; max: number; windowMs: number }): LoginAttempts {
  return {
    async reserve(clientKey) {
      let current: number;
      let ttlMs: number;
      try {
        [current, ttlMs] = (await redis.eval(RESERVE, 1, options.nameSpace + clientKey, options.windowMs)) as [number, number];
      } catch {
        return null;
      }
      if (current <= options.max) return null;
      return Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : options.windowMs) / 1000));
    },
  };
}
