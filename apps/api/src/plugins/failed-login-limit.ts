import type { Redis } from 'ioredis';

export interface FailedLoginLimit {
  /** Seconds until `clientIp` may try again, or null while it is under the limit (or Redis cannot say). */
  retryAfterSeconds(clientIp: string): Promise<number | null>;
  /** Counts one failed attempt from `clientIp`; the count lapses a window after the first. */
  recordFailure(clientIp: string): Promise<void>;
}

/**
 * At most `max` failed logins per client IP per window, counted in Redis so every API replica shares the count; for
 * credentials sent with every request (basic auth), where counting each request as the login route does would lock
 * out an admin whose page polls. While Redis is away nothing is counted and nobody is refused, as with the other limits.
 */
export function createFailedLoginLimit(redis: Redis, options: { keyPrefix: string; max: number; windowMs: number }): FailedLoginLimit {
  const keyOf = (clientIp: string) => `${options.keyPrefix}:${clientIp}`;
  return {
    async retryAfterSeconds(clientIp) {
      try {
        const [count, ttlMs] = await Promise.all([redis.get(keyOf(clientIp)), redis.pttl(keyOf(clientIp))]);
        if (count === null || Number(count) < options.max) return null;
        return Math.max(1, Math.ceil(ttlMs / 1000));
      } catch {
        return null;
      }
    },
    async recordFailure(clientIp) {
      try {
        // The first failure starts the window (SET NX with its expiry); INCR keeps the expiry.
        await redis.multi().set(keyOf(clientIp), 0, 'PX', options.windowMs, 'NX').incr(keyOf(clientIp)).exec();
      } catch {
        // Uncounted, like every limit while Redis is away.
      }
    },
  };
}
