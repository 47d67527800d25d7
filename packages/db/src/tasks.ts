import { type Kysely, type Transaction, sql } from 'kysely';
import type { TaskStatus } from '@punctual/scheduling';
import type { Database, NewTaskRow, TaskRow, TaskRowUpdate } from './schema.js';
import { type Scope, scopedUserId } from './scope.js';

export type TaskSort = 'createdAt' | '-createdAt' | 'nextRunAt' | '-nextRunAt';

export interface TaskListQuery {
  scope: Scope;
  status?: TaskStatus;
  tag?: string;
  /** Case-insensitive substring of name, description or URL. */
  q?: string;
  sort: TaskSort;
  page: number;
  limit: number;
}

type Executor = Kysely<Database> | Transaction<Database>;

export async function insertTask(db: Executor, task: NewTaskRow): Promise<TaskRow> {
  return db.insertInto('tasks').values(task).returningAll().executeTakeFirstOrThrow();
}

/** The task with that id when the scope may see it. */
export async function findTask(db: Executor, scope: Scope, id: string): Promise<TaskRow | null> {
  let query = db.selectFrom('tasks').selectAll().where('id', '=', id);
  const userId = scopedUserId(scope);
  if (userId !== undefined) query = query.where('user_id', '=', userId);
  return (await query.executeTakeFirst()) ?? null;
}

/** Locks the task row for the rest of the transaction, so a change and the version it bumps cannot interleave. */
export async function findTaskForUpdate(trx: Transaction<Database>, scope: Scope, id: string): Promise<TaskRow | null> {
  let query = trx.selectFrom('tasks').selectAll().where('id', '=', id).forUpdate();
  const userId = scopedUserId(scope);
  if (userId !== undefined) query = query.where('user_id', '=', userId);
  return (await query.executeTakeFirst()) ?? null;
}

/** One page of tasks and the total count; both queries use the (user_id, …) indexes. */
export async function listTasks(db: Executor, query: TaskListQuery): Promise<{ rows: TaskRow[]; total: number }> {
  let base = db.selectFrom('tasks');
  const userId = scopedUserId(query.scope);
  if (userId !== undefined) base = base.where('user_id', '=', userId);
  if (query.status !== undefined) base = base.where('status', '=', query.status);
  if (query.tag !== undefined) base = base.where('tags', '@>', sql<string[]>`ARRAY[${query.tag}]::text[]`);
  if (query.q !== undefined) {
    const pattern = `%${escapeLike(query.q)}%`;
    base = base.where((eb) =>
      eb.or([eb('name', 'ilike', pattern), eb('description', 'ilike', pattern), eb('url', 'ilike', pattern)]),
    );
  }
  const descending = query.sort.startsWith('-');
  const column = query.sort.endsWith('nextRunAt') ? 'next_run_at' : 'created_at';
  const direction = descending ? 'desc' : 'asc';
  const [rows, count] = await Promise.all([
    base
      .selectAll()
      .orderBy(column, (ob) => (descending ? ob.desc().nullsLast() : ob.asc().nullsLast()))
      .orderBy('id', direction)
      .limit(query.limit)
      .offset((query.page - 1) * query.limit)
      .execute(),
    base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.total) };
}

/** Applies a change to a task row and returns the new row. */
export async function updateTaskRow(db: Executor, id: string, changes: TaskRowUpdate): Promise<TaskRow> {
  return db
    .updateTable('tasks')
    .set({ ...changes, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Deletes a task (its logs go with it, by foreign key). Returns whether the scope could see and delete it. */
export async function deleteTask(db: Executor, scope: Scope, id: string): Promise<boolean> {
  let query = db.deleteFrom('tasks').where('id', '=', id);
  const userId = scopedUserId(scope);
  if (userId !== undefined) query = query.where('user_id', '=', userId);
  const result = await query.executeTakeFirst();
  return result.numDeletedRows > 0n;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (match) => `\\${match}`);
}
