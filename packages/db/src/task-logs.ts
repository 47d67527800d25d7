import type { Kysely } from 'kysely';
import type { Database, TaskLogRow } from './schema.js';
import { type Scope, withScope } from './scope.js';

export interface TaskLogListQuery {
  scope: Scope;
  taskId?: string;
  outcome?: 'succeeded' | 'failed';
  from?: Date;
  to?: Date;
  page: number;
  limit: number;
}

/**
 * Finished attempts, newest first. Attempts still in flight (no outcome yet) are not listed: the task's
 * `running` status shows them.
 */
export async function listTaskLogs(db: Kysely<Database>, query: TaskLogListQuery): Promise<{ rows: TaskLogRow[]; total: number }> {
  const queries = taskLogListQueries(db, query);
  const [rows, count] = await Promise.all([queries.rows.execute(), queries.total.executeTakeFirstOrThrow()]);
  return { rows, total: Number(count.total) };
}

/**
 * The two statements behind `listTaskLogs`, unexecuted, so the query-plan test explains exactly what the app runs.
 * They use the (task_id | user_id, started_at) indexes, or (started_at) for an admin; outcome and duration are carried
 * in the user and admin indexes, so a count never visits the table.
 */
export function taskLogListQueries(db: Kysely<Database>, query: TaskLogListQuery) {
  let base = withScope(db.selectFrom('task_logs').where('outcome', 'is not', null), query.scope);
  if (query.taskId !== undefined) base = base.where('task_id', '=', query.taskId);
  if (query.outcome !== undefined) base = base.where('outcome', '=', query.outcome);
  if (query.from !== undefined) base = base.where('started_at', '>=', query.from);
  if (query.to !== undefined) base = base.where('started_at', '<', query.to);
  return {
    rows: base
      .selectAll()
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: base.select((eb) => eb.fn.countAll<string>().as('total')),
  };
}

/**
 * Deletes up to `batchSize` logs that started before `before` (retention), oldest first; returns how many. Called in
 * a loop by the maintenance pass, so no statement holds many row locks or runs for long.
 */
export async function deleteLogsStartedBefore(db: Kysely<Database>, options: { before: Date; batchSize: number }): Promise<number> {
  const result = await db
    .deleteFrom('task_logs')
    .where('id', 'in', (eb) =>
      eb.selectFrom('task_logs').select('id').where('started_at', '<', options.before).orderBy('started_at').limit(options.batchSize),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
