import type { TaskStatus } from '@punctual/scheduling';
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';
import { type Scope, withScope } from './scope.js';

export interface StatsQuery {
  scope: Scope;
  /** Start of the recent window: attempts started at or after it count in `recent`. */
  since: Date;
}

export interface AttemptCounts {
  total: number;
  succeeded: number;
  failed: number;
}

export interface StatsCounts {
  /** Tasks per status; a status without tasks is absent. */
  tasksByStatus: Partial<Record<TaskStatus, number>>;
  /** Finished attempts (in-flight ones have no outcome yet and are not counted). */
  attempts: AttemptCounts & { avgDurationMs: number | null };
  /** Finished attempts started since `since`. */
  recentAttempts: AttemptCounts;
}

/** The counts behind the stats: two aggregate queries, run at once. */
export async function readStats(db: Kysely<Database>, query: StatsQuery): Promise<StatsCounts> {
  const queries = statsQueries(db, query);
  const [statuses, attempts] = await Promise.all([queries.tasksByStatus.execute(), queries.attempts.executeTakeFirstOrThrow()]);
  return {
    tasksByStatus: Object.fromEntries(statuses.map((row) => [row.status, Number(row.count)])),
    attempts: {
      total: Number(attempts.total),
      succeeded: Number(attempts.succeeded),
      failed: Number(attempts.failed),
      avgDurationMs: attempts.avg_duration_ms === null ? null : Number(attempts.avg_duration_ms),
    },
    recentAttempts: {
      total: Number(attempts.recent_total),
      succeeded: Number(attempts.recent_succeeded),
      failed: Number(attempts.recent_failed),
    },
  };
}

/**
 * The two statements behind `readStats`, unexecuted, so the query-plan test explains exactly what the app runs.
 * A user's are index-only scans of (user_id, status, …) and of (user_id, started_at) INCLUDE (outcome, duration_ms).
 */
export function statsQueries(db: Kysely<Database>, query: StatsQuery) {
  const tasks = withScope(db.selectFrom('tasks'), query.scope);
  const logs = withScope(db.selectFrom('task_logs').where('outcome', 'is not', null), query.scope);
  const { since } = query;
  return {
    tasksByStatus: tasks.select((eb) => ['status', eb.fn.countAll<string>().as('count')]).groupBy('status'),
    // One pass with FILTER clauses rather than a query per number.
    attempts: logs.select((eb) => [
      eb.fn.countAll<string>().as('total'),
      eb.fn.countAll<string>().filterWhere('outcome', '=', 'succeeded').as('succeeded'),
      eb.fn.countAll<string>().filterWhere('outcome', '=', 'failed').as('failed'),
      eb.fn.avg<string | null>('duration_ms').as('avg_duration_ms'),
      eb.fn.countAll<string>().filterWhere('started_at', '>=', since).as('recent_total'),
      eb.fn
        .countAll<string>()
        .filterWhere((f) => f.and([f('started_at', '>=', since), f('outcome', '=', 'succeeded')]))
        .as('recent_succeeded'),
      eb.fn
        .countAll<string>()
        .filterWhere((f) => f.and([f('started_at', '>=', since), f('outcome', '=', 'failed')]))
        .as('recent_failed'),
    ]),
  };
}

export interface TimelineQuery {
  scope: Scope;
  /** Attempts started in [from, until) count; buckets are `bucketSeconds` wide, aligned to the Unix epoch. */
  from: Date;
  until: Date;
  bucketSeconds: number;
}

export interface TimelineBucket {
  start: Date;
  succeeded: number;
  failed: number;
  /** started_at − scheduled_for, in milliseconds (0 for an early start); null when the bucket has no attempt. */
  latenessP50Ms: number | null;
  latenessP95Ms: number | null;
  latenessMaxMs: number | null;
}

/** Finished attempts per time bucket, with their lateness: one grouped scan of the scope's (user_id, started_at) range. Empty buckets are absent. */
export async function readAttemptTimeline(db: Kysely<Database>, query: TimelineQuery): Promise<TimelineBucket[]> {
  const rows = await attemptTimelineQuery(db, query).execute();
  const milliseconds = (value: string | number | null) => (value === null ? null : Math.round(Number(value)));
  return rows.map((row) => ({
    start: new Date(row.start),
    succeeded: Number(row.succeeded),
    failed: Number(row.failed),
    latenessP50Ms: milliseconds(row.p50),
    latenessP95Ms: milliseconds(row.p95),
    latenessMaxMs: milliseconds(row.max),
  }));
}

/** The statement behind `readAttemptTimeline`, unexecuted (for the query-plan tests). */
export function attemptTimelineQuery(db: Kysely<Database>, query: TimelineQuery) {
  // The width is a literal (an integer): as a parameter, the select's and the GROUP BY's would be two different expressions.
  const bucket = sql<Date>`date_bin(make_interval(secs => ${sql.lit(Math.trunc(query.bucketSeconds))}), started_at, timestamptz '1970-01-01 00:00:00+00')`;
  const lateness = sql<number>`greatest(0, extract(epoch from (started_at - scheduled_for)) * 1000)`;
  return withScope(
    db.selectFrom('task_logs').where('outcome', 'is not', null).where('started_at', '>=', query.from).where('started_at', '<', query.until),
    query.scope,
  )
    .select((eb) => [
      bucket.as('start'),
      eb.fn.countAll<string>().filterWhere('outcome', '=', 'succeeded').as('succeeded'),
      eb.fn.countAll<string>().filterWhere('outcome', '=', 'failed').as('failed'),
      sql<string | null>`percentile_disc(0.5) within group (order by ${lateness})`.as('p50'),
      sql<string | null>`percentile_disc(0.95) within group (order by ${lateness})`.as('p95'),
      sql<string | null>`max(${lateness})`.as('max'),
    ])
    .groupBy(bucket)
    .orderBy(bucket);
}
