import type { TaskStatus } from '@punctual/scheduling';
import type { Kysely } from 'kysely';
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
