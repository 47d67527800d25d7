import type pg from 'pg';
import type { Redis } from 'ioredis';

/** A fixed-window request counter shared by every API replica, kept in the queue backend's store. */
export interface RateLimitCounter {
  /** Counts one request of `key` in its current window (opening a window of `windowMs` when none is open). */
  increment(key: string, windowMs: number): Promise<{ current: number; ttlMs: number }>;
  /** The count of `key` in its open window without counting, or null when no window is open. */
  read(key: string): Promise<{ current: number; ttlMs: number } | null>;
}

/** Counts and opens the window atomically; a key without an expiry (never expected) gets one. */
const INCREMENT = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}`;

/** Redis: one key per counted key and window, `<prefix>:rate-limit:<key>`, expiring with the window. */
export function createRedisRateLimitCounter(redis: Redis, prefix: string): RateLimitCounter {
  return {
    async increment(key, windowMs) {
      const [current, ttlMs] = (await redis.eval(INCREMENT, 1, `${prefix}:rate-limit:${key}`, String(windowMs))) as [number, number];
      return { current, ttlMs };
    },
    async read(key) {
      const [count, ttlMs] = await Promise.all([redis.get(`${prefix}:rate-limit:${key}`), redis.pttl(`${prefix}:rate-limit:${key}`)]);
      return count === null || ttlMs < 0 ? null : { current: Number(count), ttlMs };
    },
  };
}

/** How often a process deletes windows that have ended (counters of keys not seen again would stay otherwise). */
const PRUNE_INTERVAL_MS = 60_000;

/**
 * Postgres: one row per key in `rate_limit_counters` (an UNLOGGED table of ours), counted by one atomic upsert that
 * starts a new window when the row's has ended. Rows are namespaced by prefix like the Redis keys.
 */
export function createPostgresRateLimitCounter(pool: pg.Pool, prefix: string): RateLimitCounter {
  let prunedAt = 0;
  return {
    async increment(key, windowMs) {
      if (Date.now() - prunedAt > PRUNE_INTERVAL_MS) {
        prunedAt = Date.now();
        pool.query('DELETE FROM rate_limit_counters WHERE window_ends_at < now()').catch(() => {});
      }
      const { rows } = await pool.query<{ current: number; ttl_ms: number }>(
        `INSERT INTO rate_limit_counters AS c (key, count, window_ends_at)
         VALUES ($1, 1, now() + make_interval(secs => $2::float8 / 1000))
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN c.window_ends_at <= now() THEN 1 ELSE c.count + 1 END,
           window_ends_at = CASE WHEN c.window_ends_at <= now() THEN excluded.window_ends_at ELSE c.window_ends_at END
         RETURNING count AS current, ceil(extract(epoch FROM c.window_ends_at - now()) * 1000)::int AS ttl_ms`,
        [`${prefix}:${key}`, windowMs],
      );
      const row = rows[0]!;
      return { current: row.current, ttlMs: Math.max(0, row.ttl_ms) };
    },
    async read(key) {
      const { rows } = await pool.query<{ current: number; ttl_ms: number }>(
        `SELECT count AS current, ceil(extract(epoch FROM window_ends_at - now()) * 1000)::int AS ttl_ms
         FROM rate_limit_counters WHERE key = $1 AND window_ends_at > now()`,
        [`${prefix}:${key}`],
      );
      const row = rows[0];
      return row ? { current: row.current, ttlMs: Math.max(0, row.ttl_ms) } : null;
    },
  };
}
