import type { RateLimitCounter } from '@punctual/queue';

export interface LoginAttempts {
  /**
   * Counts one login attempt from the client whose rate-limit key is `clientKey`, before its password is checked.
   * Returns null while the client is within the limit (or the store cannot say), else the seconds until it may try again.
   */
  reserve(clientKey: string): Promise<number | null>;
}

/**
 * At most `max` attempts per client per window, counted by the rate limits' own counter under the rate limit's own key,
 * so a login at `/api/v1/auth/login` and a password checked by the Bull Board draw on one budget per client IP. The
 * increment is atomic: N parallel attempts take N distinct counts and at most `max` are let through. While the store is
 * away nothing is counted and nobody is refused, as with the rate limit (skipOnError).
 */
export function createLoginAttempts(counter: RateLimitCounter, options: { max: number; windowMs: number }): LoginAttempts {
  return {
    async reserve(clientKey) {
      let count: { current: number; ttlMs: number };
      try {
        count = await counter.increment(clientKey, options.windowMs);
      } catch {
        return null;
      }
      if (count.current <= options.max) return null;
      return Math.max(1, Math.ceil((count.ttlMs > 0 ? count.ttlMs : options.windowMs) / 1000));
    },
  };
}
