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
   * Takes a slot under every limit of each request at once, or none: per request, in order, null when granted, else
   * what held the attempt. One round trip for the batch.
   */
  acquire(requests: readonly SlotRequest[]): Promise<(LimitRefusal | null)[]>;
  /**
   * Gives back the slots taken under each lease (an attempt recorded, or a claim that found the task changed). Returns
   * the waiters first in line for the slots now free (their `holder`s), to be woken rather than left to ask again.
   */
  release(releases: readonly SlotRelease[]): Promise<string[]>;
  /** Readies the store before the first request (Redis: loads the scripts), so the first attempts are not the slow ones. */
  prepare(): Promise<void>;
}

/** The slots one request took. */
export interface SlotRelease {
  lease: string;
  limits: readonly AttemptLimit[];
}

export interface SlotRequest {
  /** The job asking (its id): its place in line, kept when it asks again; what `release` names to wake. */
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
 * How long an attempt keeps its place in line without asking again: longer than any wait it is told (at most
 * MAX_LIMIT_WAIT_MS, then it asks again), with room for a busy queue. A place whose job is gone (its task changed or
 * was deleted while it waited) holds the line up no longer than this; one that lapses while its job still waits
 * re-enters at the same place, ordered by its due time.
 */
const WAITER_TTL_MS = 15_000;

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
-- A key shared by attempts with other deadlines or rates: its expiry only ever grows.
local function keep(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
-- The same request again (a batch run again after an error): it holds its slots already.
if n > 0 and redis.call('ZSCORE', KEYS[1], id) then return -1 end
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
      keep(waiting, ttl); keep(seen, ttl)
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
  keep(held, lease + 1000)
  redis.call('ZREM', waiting, holder); redis.call('ZREM', seen, holder)
  if tonumber(ARGV[8 + 3 * i]) >= 0 then
    redis.call('ZADD', starts, now, id)
    keep(starts, windowMs + 1000)
  end
end
return -1`;

const ACQUIRE_SHA = createHash('sha1').update(ACQUIRE).digest('hex');

/**
 * Gives a request's slots back (KEYS: `held` and `waiting` per limit; ARGV: the lease, the number of limits, then each
 * limit's parallelism) and returns the waiters first in line for the slots now free, once each.
 */
const RELEASE = `
local lease, n = ARGV[1], tonumber(ARGV[2])
local wake, named = {}, {}
for i = 0, n - 1 do
  local held, waiting, parallelism = KEYS[2 * i + 1], KEYS[2 * i + 2], tonumber(ARGV[3 + i])
  redis.call('ZREM', held, lease)
  if parallelism >= 0 then
    local free = parallelism - redis.call('ZCARD', held)
    if free > 0 then
      for _, holder in ipairs(redis.call('ZRANGE', waiting, 0, free - 1)) do
        if not named[holder] then named[holder] = true; wake[#wake + 1] = holder end
      end
    end
  end
end
return wake`;

const RELEASE_SHA = createHash('sha1').update(RELEASE).digest('hex');

/**
 * Runs one script per item in one pipeline (one round trip), EVALSHA first: a script's text crosses the wire only when
 * Redis does not have it yet (after a restart), then the whole batch runs again, which both scripts allow (a request
 * whose lease holds its slots already is granted at once; a place taken again in the same line is the same place).
 */
async function runScripts(
  redis: Redis,
  script: { text: string; sha: string },
  calls: readonly { keys: readonly string[]; args: readonly string[] }[],
): Promise<unknown[]> {
  const run = async () => {
    const pipeline = redis.pipeline();
    for (const { keys, args } of calls) pipeline.evalsha(script.sha, keys.length, ...keys, ...args);
    return (await pipeline.exec()) ?? [];
  };
  let results = await run();
  if (results.some(([error]) => error instanceof Error && error.message.startsWith('NOSCRIPT'))) {
    await redis.script('LOAD', script.text);
    results = await run();
  }
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

/** Redis: the keys `<prefix>:slots:<limit key>:{held,waiting,seen,starts}`, checked and taken by one script per request. */
export function createRedisAttemptSlots(redis: Redis, prefix: string): AttemptSlots {
  const keysOf = (limit: AttemptLimit): string[] =>
    ['held', 'waiting', 'seen', 'starts'].map((part) => `${prefix}:slots:${limit.key}:${part}`);
  return {
    async prepare() {
      await Promise.all([redis.script('LOAD', ACQUIRE), redis.script('LOAD', RELEASE)]);
    },
    async acquire(requests) {
      if (requests.length === 0) return [];
      const calls = requests.map(({ holder, lease, dueAt, leaseMs, limits }) => {
        const args = [holder, String(dueAt.getTime()), String(leaseMs), String(WAITER_TTL_MS), String(limits.length), lease];
        for (const limit of limits) {
          args.push(String(limit.parallelism ?? -1), String(limit.rate?.starts ?? -1), String(limit.rate?.windowMs ?? 0));
        }
        return { keys: limits.flatMap(keysOf), args };
      });
      const answers = (await runScripts(redis, { text: ACQUIRE, sha: ACQUIRE_SHA }, calls)) as (number | [number, number, number])[];
      return answers.map((answer) =>
        Array.isArray(answer) ? { limit: answer[0], behind: answer[1], rateWaitMs: Math.max(0, answer[2]) } : null,
      );
    },
    async release(releases) {
      if (releases.length === 0) return [];
      const calls = releases.map(({ lease, limits }) => ({
        keys: limits.flatMap((limit) => keysOf(limit).slice(0, 2)),
        args: [lease, String(limits.length), ...limits.map((limit) => String(limit.parallelism ?? -1))],
      }));
      const woken = (await runScripts(redis, { text: RELEASE, sha: RELEASE_SHA }, calls)) as string[][];
      return [...new Set(woken.flat())];
    },
  };
}

/**
 * Postgres (the embedded mode's store): `attempt_slots`, an UNLOGGED table of ours, and the functions
 * `punctual_acquire_slots` and `punctual_release_slots` (migration 0013) doing what the Redis scripts do, a batch per
 * call, every key of a batch locked first (advisory locks, in one global order). Rows are namespaced by prefix like the
 * Redis keys.
 */
export function createPostgresAttemptSlots(pool: pg.Pool, prefix: string): AttemptSlots {
  const keyOf = (limit: AttemptLimit): string => `${prefix}:${limit.key}`;
  return {
    // The functions are the schema's (migration 0013); a connection of the pool is opened by the first request.
    prepare: async () => {},
    async acquire(requests) {
      if (requests.length === 0) return [];
      const batch = requests.map(({ holder, lease, dueAt, leaseMs, limits }) => ({
        keys: limits.map(keyOf),
        parallelism: limits.map((limit) => limit.parallelism ?? -1),
        rateStarts: limits.map((limit) => limit.rate?.starts ?? -1),
        windowMs: limits.map((limit) => limit.rate?.windowMs ?? 0),
        holder,
        lease,
        dueAt: dueAt.toISOString(),
        leaseMs,
        ttlMs: WAITER_TTL_MS,
      }));
      const { rows } = await pool.query<{ request_index: number; limit_index: number; behind: number; rate_wait_ms: number }>(
        'SELECT request_index, limit_index, behind, rate_wait_ms FROM punctual_acquire_slots($1)',
        [JSON.stringify(batch)],
      );
      const answers: (LimitRefusal | null)[] = requests.map(() => null);
      for (const row of rows) {
        if (row.limit_index >= 0) {
          answers[row.request_index] = { limit: row.limit_index, behind: row.behind, rateWaitMs: Math.max(0, row.rate_wait_ms) };
        }
      }
      return answers;
    },
    async release(releases) {
      if (releases.length === 0) return [];
      const batch = releases.map(({ lease, limits }) => ({
        keys: limits.map(keyOf),
        parallelism: limits.map((limit) => limit.parallelism ?? -1),
        lease,
      }));
      const { rows } = await pool.query<{ holder: string }>('SELECT w AS holder FROM punctual_release_slots($1) AS w', [
        JSON.stringify(batch),
      ]);
      return rows.map((row) => row.holder);
    },
  };
}
