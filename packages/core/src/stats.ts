import { MAX_TIMELINE_BUCKETS, type AttemptCounts, type Stats, type Timeline } from '@punctual/contract';
import { readAttemptTimeline, readStats, type StatsCounts } from '@punctual/db';
import { TASK_STATUSES, type TaskStatus } from '@punctual/scheduling';
import { InvalidInputError } from './errors.js';
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

export interface TimelineRequest extends StatsRequest {
  hours: number;
  bucketMinutes: number;
}

/** `GET /stats/timeline`: the shape is the Timeline schema in @punctual/contract. */
export type TimelineView = Timeline;

/**
 * Finished attempts of the actor's tasks (an admin's: everyone's, or one user's) per bucket over the last `hours`,
 * with how late they started: every bucket from the first boundary (aligned to its width in UTC) inside the window to
 * the one now fills, empty ones included, so a chart's time axis needs no gaps filled.
 */
export async function getAttemptTimeline(
  context: Pick<TaskContext, 'db'>,
  actor: Actor,
  request: TimelineRequest,
  now: Date = new Date(),
): Promise<TimelineView> {
  const { hours, bucketMinutes } = request;
  if ((hours * 60) / bucketMinutes > MAX_TIMELINE_BUCKETS) {
    const least = Math.ceil((hours * 60) / MAX_TIMELINE_BUCKETS);
    throw new InvalidInputError(
      'querystring/bucketMinutes',
      `must be at least ${least} for hours=${hours} (at most ${MAX_TIMELINE_BUCKETS} buckets)`,
    );
  }
  const bucketMs = bucketMinutes * 60_000;
  // The first bucket boundary inside the window: no bucket reaches back further than `hours`, and there are at most
  // hours × 60 / bucketMinutes of them.
  const from = new Date((Math.floor((now.getTime() - hours * 3_600_000) / bucketMs) + 1) * bucketMs);
  const scope = filteredScopeOf(actor, request.userId);
  const rows = scope === null ? [] : await readAttemptTimeline(context.db, { scope, from, until: now, bucketSeconds: bucketMinutes * 60 });
  const byStart = new Map(rows.map((row) => [row.start.getTime(), row]));
  const buckets: Timeline['buckets'] = [];
  for (let start = from.getTime(); start <= now.getTime(); start += bucketMs) {
    const row = byStart.get(start);
    buckets.push({
      start: new Date(start).toISOString(),
      succeeded: row?.succeeded ?? 0,
      failed: row?.failed ?? 0,
      lateness: { p50Ms: row?.latenessP50Ms ?? null, p95Ms: row?.latenessP95Ms ?? null, maxMs: row?.latenessMaxMs ?? null },
    });
  }
  return { bucketMinutes, from: from.toISOString(), until: now.toISOString(), buckets };
}
