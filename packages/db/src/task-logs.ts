import type { Kysely } from 'kysely';
import type { Database, TaskLogRow } from './schema.js';
import { type Scope, scopedUserId } from './scope.js';

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
 * `running` status shows them. Uses the (task_id|user_id, started_at) indexes.
 */
export async function listTaskLogs(db: Kysely<Database>, query: TaskLogListQuery): Promise<{ rows: TaskLogRow[]; total: number }> {
  let base = db.selectFrom('task_logs').where('outcome', 'is not', null);
  const userId = scopedUserId(query.scope);
  if (userId !== undefined) base = base.where('user_id', '=', userId);
  if (query.taskId !== undefined) base = base.where('task_id', '=', query.taskId);
  if (query.outcome !== undefined) base = base.where('outcome', '=', query.outcome);
  if (query.from !== undefined) base = base.where('started_at', '>=', query.from);
  if (query.to !== undefined) base = base.where('started_at', '<', query.to);
  const [rows, count] = await Promise.all([
    base
      .selectAll()
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit)
      .offset((query.page - 1) * query.limit)
      .execute(),
    base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.total) };
}
