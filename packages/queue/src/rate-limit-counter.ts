import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Redis } from 'ioredis';

/** A fixed-window request counter shared by every API replica, kept in the queue backend's store. */
export interface RateLimitCounter {
  /** Counts one request of `key` in its current window (opening a window of `windowMs` when none is open). */
  increment(key: string, windowMs: number): Promise<{ current: number; ttlMs: number }>;
  /** The count of `key` in its open window without counting, or null when no window is open. */
  read(key: string): Promise<{ current: number; ttlMs: number } | null>;
}

/** Counts ARGV[1] requests and opens the window atomically; a key without an expiry (never expected) gets one. */
const INCREMENT = `
local current = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == tonumber(ARGV[1]) or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {current, ttl}`;

const INCREMENT_SHA = createHash('sha1').update(INCREMENT).digest('hex');

interface PendingIncrement {
  windowMs: number;
  resolve: (value: { current: number; ttlMs: number }) => void;
  reject: (reason: unknown) => void;
}

/** Round trips of one key out at once; the requests that arrive meanwhile are counted together by the next. */
const INCREMENTS_IN_FLIGHT = 2;

/**
 * Redis: one key per counted key and window, `<prefix>:rate-limit:<key>`, expiring with the window. The increments
 * of one key that arrive while its round trips are out are counted by one INCRBY (a script sent by its hash), each
 * request getting the count it would have got alone, in arrival order: under load one user's requests cost one round
 * trip per batch instead of one each. A lone increment goes out at once. One key per script, as Redis Cluster needs.
 */
export function createRedisRateLimitCounter(redis: Redis, prefix: string): RateLimitCounter {
  const keys = new Map<string, { waiting: PendingIncrement[]; inFlight: number }>();
  const send = (key: string): void => {
    const state = keys.get(key);
    if (!state) return;
    while (state.inFlight < INCREMENTS_IN_FLIGHT && state.waiting.length > 0) {
      const batch = state.waiting.splice(0, state.waiting.length);
      state.inFlight += 1;
      void incrementBy(redis, key, batch)
        .then(([current, ttlMs]) =>
          batch.forEach((pending, index) => pending.resolve({ current: current - batch.length + 1 + index, ttlMs })),
        )
        .catch((error: unknown) => batch.forEach((pending) => pending.reject(error)))
        .finally(() => {
          state.inFlight -= 1;
          if (state.inFlight === 0 && state.waiting.length === 0) keys.delete(key);
          else send(key);
        });
    }
  };
  return {
    increment(key, windowMs) {
      const fullKey = `${prefix}:rate-limit:${key}`;
      return new Promise((resolve, reject) => {
        let state = keys.get(fullKey);
        if (!state) keys.set(fullKey, (state = { waiting: [], inFlight: 0 }));
        state.waiting.push({ windowMs, resolve, reject });
        send(fullKey);
      });
    },
    async read(key) {
      const [count, ttlMs] = await Promise.all([redis.get(`${prefix}:rate-limit:${key}`), redis.pttl(`${prefix}:rate-limit:${key}`)]);
      return count === null || ttlMs < 0 ? null : { current: Number(count), ttlMs };
    },
  };
}

/** One INCRBY of `batch.length` on `key`, the window of the batch's first request opening the key when it is new. */
async function incrementBy(redis: Redis, key: string, batch: readonly PendingIncrement[]): Promise<[number, number]> {
  const args = [key, String(batch.length), String(batch[0]!.windowMs)];
  // EVALSHA first: the script's text crosses the wire only when Redis does not have it yet (after a restart).
  return (await redis.evalsha(INCREMENT_SHA, 1, ...args).catch((error: unknown) => {
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return redis.eval(INCREMENT, 1, ...args);
    throw error;
  })) as [number, number];
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
