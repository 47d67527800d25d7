import { setTimeout as sleep } from 'node:timers/promises';
import type { TargetServer } from '@punctual/testing';
import type pg from 'pg';
import { createTasks, type ApiSession } from './api-session.js';
import { percentile } from './statistics.js';

export interface DispatchOptions {
  /** A fresh account: its tasks and logs are this run's only. */
  session: ApiSession;
  pool: pg.Pool;
  target: TargetServer;
  /** Names the target path, `/ok/<label>`. */
  label: string;
  count: number;
  /** 0: all due at one instant; otherwise due evenly over this many milliseconds. */
  spreadMs: number;
  /** Creates per second the API managed under load: how far ahead to schedule so creating ends before the first is due. */
  createRate: number;
  createConcurrency: number;
}

/** End to end, from the API to the target, checked against Postgres. Times in milliseconds. */
export interface DispatchResult {
  tasks: number;
  createMs: number;
  /** Whether every task was created before the first was due (else setup overlapped the dispatch). */
  createdBeforeDue: boolean;
  firstDueAt: number;
  lastDueAt: number;
  /** From the first due time to the last success recorded in `task_logs`. */
  drainMs: number;
  /** Target receive time minus the task's scheduledAt. */
  lateness: { firstMs: number; p50Ms: number; p99Ms: number; maxMs: number };
  /** `task_logs` of the account: succeeded, distinct runs among them, any other (failed or unfinished). */
  succeededLogs: number;
  succeededRuns: number;
  otherLogs: number;
  completedTasks: number;
  /** Requests the target received, and how many of them repeated a `Punctual-Run-Id`. */
  targetCalls: number;
  duplicateCalls: number;
  timedOut: boolean;
}

/**
 * Creates `count` tasks through the API (POST to the local target, no retries), due together or spread evenly, then
 * waits until `task_logs` holds a success for each, or until a deadline.
 */
export async function runDispatch(options: DispatchOptions): Promise<DispatchResult> {
  const { session, pool, target, count, spreadMs } = options;
  const path = `/ok/${options.label}`;
  // Creating through the API runs slower than under autocannon (the bench's own client costs CPU too): room for that.
  const leadMs = 3_000 + Math.ceil((2 * count * 1_000) / Math.max(1, options.createRate));
  const firstDueAt = Date.now() + leadMs;
  const dueAt = (index: number): number => firstDueAt + Math.floor((index * spreadMs) / count);
  const bodies = Array.from({ length: count }, (_, index) => ({
    name: `bench ${options.label} ${index}`,
    url: `${target.url}${path}?at=${dueAt(index)}`,
    method: 'POST',
    body: { index },
    scheduledAt: new Date(dueAt(index)).toISOString(),
    maxRetries: 0,
  }));

  const createStarted = Date.now();
  await createTasks(session, bodies, options.createConcurrency);
  const createdAt = Date.now();

  const lastDueAt = dueAt(count - 1);
  const deadline = lastDueAt + Math.max(60_000, count * 20);
  let timedOut = false;
  while ((await succeededCount(pool, session.userId)) < count) {
    if (Date.now() > deadline) {
      timedOut = true;
      break;
    }
    await sleep(100);
  }
  // Time for an extra (duplicate) call or log to show up, were there one.
  await sleep(500);

  const logs = await pool.query<{ succeeded: number; runs: number; other: number; last_finished: Date | null }>(
    `SELECT count(*) FILTER (WHERE outcome = 'succeeded')::int AS succeeded,
            count(DISTINCT run_id) FILTER (WHERE outcome = 'succeeded')::int AS runs,
            count(*) FILTER (WHERE outcome IS DISTINCT FROM 'succeeded')::int AS other,
            max(finished_at) FILTER (WHERE outcome = 'succeeded') AS last_finished
       FROM task_logs WHERE user_id = $1`,
    [session.userId],
  );
  const tasks = await pool.query<{ completed: number }>(
    `SELECT count(*) FILTER (WHERE status = 'completed')::int AS completed FROM tasks WHERE user_id = $1`,
    [session.userId],
  );
  const row = logs.rows[0]!;
  const hits = target.hitsFor(path);
  const lateness = hits.map((hit) => hit.receivedAt.getTime() - Number(new URLSearchParams(hit.query).get('at')));
  const runIds = new Set(hits.map((hit) => String(hit.headers['punctual-run-id'])));

  return {
    tasks: count,
    createMs: createdAt - createStarted,
    createdBeforeDue: createdAt <= firstDueAt,
    firstDueAt,
    lastDueAt,
    drainMs: row.last_finished ? row.last_finished.getTime() - firstDueAt : Number.NaN,
    lateness: {
      firstMs: Math.min(...lateness),
      p50Ms: percentile(lateness, 50),
      p99Ms: percentile(lateness, 99),
      maxMs: Math.max(...lateness),
    },
    succeededLogs: row.succeeded,
    succeededRuns: row.runs,
    otherLogs: row.other,
    completedTasks: tasks.rows[0]!.completed,
    targetCalls: hits.length,
    duplicateCalls: hits.length - runIds.size,
    timedOut,
  };
}

async function succeededCount(pool: pg.Pool, userId: string): Promise<number> {
  const result = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM task_logs WHERE user_id = $1 AND outcome = 'succeeded'`, [
    userId,
  ]);
  return result.rows[0]!.n;
}
