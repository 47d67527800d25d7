import { createHash } from 'node:crypto';
import type { AttemptLimit, LimitRefusal } from '@punctual/scheduling';
import type pg from 'pg';
import type { Redis } from 'ioredis';

/**
 * Slots for attempts under fleet-wide limits (USER_CONCURRENCY, a task's flowControl), kept in the queue backend's
 * store so every worker shares them. A slot is a lease: a worker that dies holding one gives it back when the lease
 * lapses. Attempts that do not fit wait in line by due time (ties by task), so within a key they start in order.
 */
export interface AttemptSlots {
  /**
   * Takes a slot under every limit at once, or none: null when granted, else what held the attempt.
   */
  acquire(request: SlotRequest): Promise<LimitRefusal | null>;
  /** Gives back the slots taken under `lease` (an attempt recorded, or a claim that found the task changed). */
  release(lease: string, limits: readonly AttemptLimit[]): Promise<void>;
}

export interface SlotRequest {
  /** The task: its place in line (a job that asks again keeps it). */
  holder: string;
  /**
   * This request's own id, under which its slots are held: unique per request, so a job delivered twice at once never
   * gives back the slots of the delivery that won the claim.
   */
  lease: string;
  /** When the attempt was due: its place in line. */
  dueAt: Date;
  /** How long the slots last if never given back. */
  leaseMs: number;
  limits: readonly AttemptLimit[];
}

/**
 * How long an attempt keeps its place in line without asking again. Longer than any wait it is told (it asks again
 * sooner), with room for a busy queue; one that lapses re-enters at the same place, ordered by its due time.
 */
const MIN_WAITER_TTL_MS = 10_000;

function waiterTtlMs(limits: readonly AttemptLimit[]): number {
  return Math.max(MIN_WAITER_TTL_MS, ...limits.map((limit) => 2 * (limit.rate?.windowMs ?? 0)));
}

/**
 * Per limit four keys: `held` (request → lease end), `waiting` (task → due time), `seen` (task → when its place
 * lapses) and `starts` (request → start time, for a rate). Limits are checked in the order given (most specific first); one
 * that holds the attempt ends the check, and the attempt leaves the lines of the limits after it, so a throttled flow
 * key never queues its attempts for their owner's user slots. An attempt takes a slot when fewer waiters are ahead of
 * it than slots are free; with nobody waiting, it takes one without joining the line. All keys expire when idle.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local holder, due, lease, ttl, n, id = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local function drop(key, members)
  for i = 1, #members, 500 do redis.call('ZREM', key, unpack(members, i, math.min(i + 499, #members))) end
end
for i = 0, n - 1 do
  local held, waiting, seen, starts = KEYS[4 * i + 1], KEYS[4 * i + 2], KEYS[4 * i + 3], KEYS[4 * i + 4]
  local parallelism, rateStarts, windowMs = tonumber(ARGV[7 + 3 * i]), tonumber(ARGV[8 + 3 * i]), tonumber(ARGV[9 + 3 * i])
  redis.call('ZREMRANGEBYSCORE', held, '-inf', now)
  local lapsed = redis.call('ZRANGEBYSCORE', seen, '-inf', now)
  if #lapsed > 0 then drop(waiting, lapsed); drop(seen, lapsed) end
  do
    local free = 1e12
    if parallelism >= 0 then free = parallelism - redis.call('ZCARD', held) end
    local rateWait = 0
    if rateStarts >= 0 then
      redis.call('ZREMRANGEBYSCORE', starts, '-inf', now - windowMs)
      local left = rateStarts - redis.call('ZCARD', starts)
      if left < free then
        free = left
        if left <= 0 then
          local oldest = redis.call('ZRANGE', starts, 0, 0, 'WITHSCORES')
          rateWait = tonumber(oldest[2]) + windowMs - now + 1
        end
      end
    end
    local rank = 0
    if free <= 0 or redis.call('ZCARD', waiting) > 0 then
      redis.call('ZADD', waiting, 'NX', due, holder)
      redis.call('ZADD', seen, now + ttl, holder)
      redis.call('PEXPIRE', waiting, ttl); redis.call('PEXPIRE', seen, ttl)
      rank = redis.call('ZRANK', waiting, holder)
    end
    if rank >= free then
      for j = i + 1, n - 1 do redis.call('ZREM', KEYS[4 * j + 2], holder); redis.call('ZREM', KEYS[4 * j + 3], holder) end
      return {i, rank - math.max(free, 0) + 1, rateWait}
    end
  end
end
for i = 0, n - 1 do
  local held, waiting, seen, starts = KEYS[4 * i + 1], KEYS[4 * i + 2], KEYS[4 * i + 3], KEYS[4 * i + 4]
  local windowMs = tonumber(ARGV[9 + 3 * i])
  redis.call('ZADD', held, now + lease, id)
  redis.call('PEXPIRE', held, lease + 1000)
  redis.call('ZREM', waiting, holder); redis.call('ZREM', seen, holder)
  if tonumber(ARGV[8 + 3 * i]) >= 0 then
    redis.call('ZADD', starts, now, id)
    redis.call('PEXPIRE', starts, windowMs + 1000)
  end
end
return -1`;

const ACQUIRE_SHA = createHash('sha1').update(ACQUIRE).digest('hex');

/** Redis: the keys `<prefix>:slots:<limit key>:{held,waiting,seen,starts}`, checked and taken by one script. */
export function createRedisAttemptSlots(redis: Redis, prefix: string): AttemptSlots {
  const keysOf = (limit: AttemptLimit): string[] =>
    ['held', 'waiting', 'seen', 'starts'].map((part) => `${prefix}:slots:${limit.key}:${part}`);
  return {
    async acquire({ holder, lease, dueAt, leaseMs, limits }) {
      const keys = limits.flatMap(keysOf);
      const args = [holder, String(dueAt.getTime()), String(leaseMs), String(waiterTtlMs(limits)), String(limits.length), lease];
      for (const limit of limits) {
        args.push(String(limit.parallelism ?? -1), String(limit.rate?.starts ?? -1), String(limit.rate?.windowMs ?? 0));
      }
      // EVALSHA first: the script's text crosses the wire only when Redis does not have it yet (after a restart).
      const answer = (await redis.evalsha(ACQUIRE_SHA, keys.length, ...keys, ...args).catch((error: unknown) => {
        if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return redis.eval(ACQUIRE, keys.length, ...keys, ...args);
        throw error;
      })) as number | [number, number, number];
      if (!Array.isArray(answer)) return null;
      return { limit: answer[0], behind: answer[1], rateWaitMs: Math.max(0, answer[2]) };
    },
    async release(lease, limits) {
      if (limits.length === 1) {
        await redis.zrem(keysOf(limits[0]!)[0]!, lease);
        return;
      }
      const pipeline = redis.pipeline();
      for (const limit of limits) pipeline.zrem(keysOf(limit)[0]!, lease);
      await pipeline.exec();
    },
  };
}

/**
 * Postgres (the embedded mode's store): `attempt_slots`, an UNLOGGED table of ours, and the function
 * `punctual_acquire_slots` (migration 0013) doing what the Redis script does, under one advisory lock per limit key
 * taken in the order given. Rows are namespaced by prefix like the Redis keys.
 */
export function createPostgresAttemptSlots(pool: pg.Pool, prefix: string): AttemptSlots {
  const keyOf = (limit: AttemptLimit): string => `${prefix}:${limit.key}`;
  return {
    async acquire({ holder, lease, dueAt, leaseMs, limits }) {
      const { rows } = await pool.query<{ limit_index: number; behind: number; rate_wait_ms: number }>(
        'SELECT limit_index, behind, rate_wait_ms FROM punctual_acquire_slots($1, $2, $3, $4, $5, $6, $7, $8, $9)',
        [
          limits.map(keyOf),
          limits.map((limit) => limit.parallelism ?? -1),
          limits.map((limit) => limit.rate?.starts ?? -1),
          limits.map((limit) => limit.rate?.windowMs ?? 0),
          holder,
          dueAt,
          leaseMs,
          waiterTtlMs(limits),
          lease,
        ],
      );
      const row = rows[0];
      if (!row || row.limit_index < 0) return null;
      return { limit: row.limit_index, behind: row.behind, rateWaitMs: Math.max(0, row.rate_wait_ms) };
    },
    async release(lease, limits) {
      await pool.query(`DELETE FROM attempt_slots WHERE kind = 'held' AND key = ANY($1) AND holder = $2`, [limits.map(keyOf), lease]);
    },
  };
}
