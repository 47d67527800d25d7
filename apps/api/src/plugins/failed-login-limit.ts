import type { RateLimitCounter } from '@punctual/queue';

export interface FailedLoginLimit {
  /** Seconds until `clientIp` may try again, or null while it is under the limit (or the store cannot say). */
  retryAfterSeconds(clientIp: string): Promise<number | null>;
  /** Counts one failed attempt from `clientIp`; the count lapses a window after the first. */
  recordFailure(clientIp: string): Promise<void>;
}

/**
 * At most `max` failed logins per client IP per window, counted in the queue backend's store (Redis or Postgres) so
 * every API replica shares the count; for credentials sent with every request (basic auth), where counting each
 * request as the login route does would lock out an admin whose page polls. While the store is away nothing is counted
 * and nobody is refused, as with the other limits.
 */
export function createFailedLoginLimit(
  counter: RateLimitCounter,
  options: { keyPrefix: string; max: number; windowMs: number },
): FailedLoginLimit {
  const keyOf = (clientIp: string) => `${options.keyPrefix}:${clientIp}`;
  return {
    async retryAfterSeconds(clientIp) {
      try {
        const count = await counter.read(keyOf(clientIp));
        if (count === null || count.current < options.max) return null;
        return Math.max(1, Math.ceil(count.ttlMs / 1000));
      } catch {
        return null;
      }
    },
    async recordFailure(clientIp) {
      try {
        await counter.increment(keyOf(clientIp), options.windowMs);
      } catch {
        // Uncounted, like every limit while the store is away.
      }
    },
  };
}
