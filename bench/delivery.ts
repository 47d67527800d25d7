import { setTimeout as sleep } from 'node:timers/promises';
import type { TargetHit, TargetServer } from '@punctual/testing';
import type pg from 'pg';
import type { Measurement } from './results-table.js';

/** What reached the target and what `task_logs` says, for the tasks of one account whose URLs carry `?i=<index>`. */
export interface DeliveryCheck {
  tasks: number;
  calls: number;
  /** Indices in [0, tasks) not called exactly once (never, or twice or more), plus calls for no such index. */
  notCalledOnce: number;
  /** The account's tasks without exactly one succeeded log row, or with any other row (failed, unfinished). */
  notLoggedOnce: number;
  /** `finished_at` of the last succeeded attempt (epoch ms). */
  lastSuccessAt: number | null;
}

/** The query parameter `name` of a hit as a number (NaN when absent). */
export function hitParameter(hit: TargetHit, name: string): number {
  return Number(new URLSearchParams(hit.query).get(name) ?? Number.NaN);
}

/** Resolves true once the target holds `count` hits under `path`, false at `timeoutMs`. */
export async function waitForCalls(target: TargetServer, path: string, count: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (target.hitsFor(path).length < count) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * Waits (up to `timeoutMs`) until every one of `tasks` tasks has been called under `path` and logged as succeeded,
 * gives a duplicate call or log half a second to show up, then counts what was not exactly once.
 */
export async function checkDelivery(options: {
  pool: pg.Pool;
  target: TargetServer;
  path: string;
  userId: string;
  tasks: number;
  timeoutMs: number;
}): Promise<DeliveryCheck> {
  const { pool, target, path, userId, tasks } = options;
  const deadline = Date.now() + options.timeoutMs;
  await waitForCalls(target, path, tasks, options.timeoutMs);
  while ((await succeededLogs(pool, userId)) < tasks && Date.now() < deadline) await sleep(100);
  await sleep(500);

  const hits = target.hitsFor(path);
  const callsPerIndex = new Map<number, number>();
  for (const hit of hits) {
    const index = hitParameter(hit, 'i');
    callsPerIndex.set(index, (callsPerIndex.get(index) ?? 0) + 1);
  }
  let calledOnce = 0;
  for (let index = 0; index < tasks; index++) if (callsPerIndex.get(index) === 1) calledOnce += 1;
  const strayCalls = [...callsPerIndex].filter(([index]) => !(index >= 0 && index < tasks)).reduce((sum, [, n]) => sum + n, 0);

  const { rows } = await pool.query<{ tasks: number; not_once: number; last_success: Date | null }>(
    `SELECT count(*)::int AS tasks,
            count(*) FILTER (WHERE succeeded <> 1 OR other > 0)::int AS not_once,
            max(last_success) AS last_success
       FROM (SELECT count(l.id) FILTER (WHERE l.outcome = 'succeeded') AS succeeded,
                    count(l.id) FILTER (WHERE l.outcome IS DISTINCT FROM 'succeeded') AS other,
                    max(l.finished_at) FILTER (WHERE l.outcome = 'succeeded') AS last_success
               FROM tasks t LEFT JOIN task_logs l ON l.task_id = t.id
              WHERE t.user_id = $1
              GROUP BY t.id) AS per_task`,
    [userId],
  );
  const row = rows[0]!;
  return {
    tasks,
    calls: hits.length,
    notCalledOnce: tasks - calledOnce + strayCalls,
    // Tasks that should exist but do not count as not logged too.
    notLoggedOnce: row.not_once + Math.max(0, tasks - row.tasks),
    lastSuccessAt: row.last_success?.getTime() ?? null,
  };
}

async function succeededLogs(pool: pg.Pool, userId: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM task_logs WHERE user_id = $1 AND outcome = 'succeeded'`,
    [userId],
  );
  return rows[0]!.n;
}

/** The two checks of every end-to-end scenario: each task called once at the target and logged once. */
export function exactlyOnce(scenario: string, delivery: DeliveryCheck): Measurement[] {
  return [
    {
      scenario,
      metric: 'tasks not called exactly once',
      value: delivery.notCalledOnce,
      unit: '',
      target: { op: '=', value: 0 },
      worstOfRuns: true,
    },
    {
      scenario,
      metric: 'tasks not logged exactly once',
      value: delivery.notLoggedOnce,
      unit: '',
      target: { op: '=', value: 0 },
      worstOfRuns: true,
    },
  ];
}
