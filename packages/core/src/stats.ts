import type { AttemptCounts, Stats } from '@punctual/contract';
import { readStats, type StatsCounts } from '@punctual/db';
import { TASK_STATUSES, type TaskStatus } from '@punctual/scheduling';
import { filteredScopeOf, type Actor, type TaskContext } from './task-context.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface StatsRequest {
  /** Admins: one user's stats instead of everyone's. A user's own id changes nothing; someone else's matches nothing. */
  userId?: string;
}

/** Attempt counts, as the API shows them. */
export type AttemptCountsView = AttemptCounts;
/** `GET /stats`: the shape is the Stats schema in @punctual/contract. */
export type StatsView = Stats;

const NO_COUNTS: StatsCounts = {
  tasksByStatus: {},
  attempts: { total: 0, succeeded: 0, failed: 0, avgDurationMs: null },
  recentAttempts: { total: 0, succeeded: 0, failed: 0 },
};

/**
 * Task counts per status and finished-attempt counts of the actor's tasks (an admin's: everyone's, or one user's).
 * Attempts in flight are not counted; the last 24 h are those started since `now` minus a day.
 */
export async function getStats(
  context: Pick<TaskContext, 'db'>,
  actor: Actor,
  request: StatsRequest,
  now: Date = new Date(),
): Promise<StatsView> {
  const scope = filteredScopeOf(actor, request.userId);
  const counts = scope === null ? NO_COUNTS : await readStats(context.db, { scope, since: new Date(now.getTime() - DAY_MS) });
  const byStatus = Object.fromEntries(TASK_STATUSES.map((status) => [status, counts.tasksByStatus[status] ?? 0])) as Record<
    TaskStatus,
    number
  >;
  const { attempts, recentAttempts } = counts;
  return {
    tasks: { total: Object.values(byStatus).reduce((sum, count) => sum + count, 0), byStatus },
    executions: {
      total: attempts.total,
      succeeded: attempts.succeeded,
      failed: attempts.failed,
      successRate: attempts.total === 0 ? 0 : attempts.succeeded / attempts.total,
      avgDurationMs: attempts.avgDurationMs === null ? null : Math.round(attempts.avgDurationMs),
      last24h: { total: recentAttempts.total, succeeded: recentAttempts.succeeded, failed: recentAttempts.failed },
    },
  };
}
