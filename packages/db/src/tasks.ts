import { type Kysely, type Transaction, sql } from 'kysely';
import { executePrepared, preparedStatement } from './connection.js';
import { SCHEDULED_STATUSES, type TaskStatus } from '@punctual/scheduling';
import type { Database, NewTaskRow, TaskRow, TaskRowUpdate } from './schema.js';
import { type DbExecutor, type Scope, withScope } from './scope.js';

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

export async function insertTask(db: DbExecutor, task: NewTaskRow): Promise<TaskRow> {
  return db.insertInto('tasks').values(task).returningAll().executeTakeFirstOrThrow();
}

/** The task with that id when the scope may see it. */
export async function findTask(db: DbExecutor, scope: Scope, id: string): Promise<TaskRow | null> {
  const query = withScope(db.selectFrom('tasks').selectAll().where('id', '=', id), scope);
  return (await query.executeTakeFirst()) ?? null;
}

/**
 * `findTask` outside a transaction, prepared: a GET of one task (and of its status) is Postgres binding one primary-key
 * lookup, without parsing and planning it again.
 */
export async function findTaskPrepared(db: Kysely<Database>, scope: Scope, id: string): Promise<TaskRow | null> {
  const [task] =
    scope.userId === undefined
      ? await executePrepared<TaskRow>(db, FIND_TASK, [id])
      : await executePrepared<TaskRow>(db, FIND_TASK_OF_USER, [id, scope.userId]);
  return task ?? null;
}

const FIND_TASK = preparedStatement('tasks.find', 'SELECT * FROM tasks WHERE id = $1');
const FIND_TASK_OF_USER = preparedStatement('tasks.find-of-user', 'SELECT * FROM tasks WHERE id = $1 AND user_id = $2');

/** Locks the task row for the rest of the transaction, so a change and the version it bumps cannot interleave. */
export async function findTaskForUpdate(trx: Transaction<Database>, scope: Scope, id: string): Promise<TaskRow | null> {
  const query = withScope(trx.selectFrom('tasks').selectAll().where('id', '=', id), scope).forUpdate();
  return (await query.executeTakeFirst()) ?? null;
}

/**
 * The text `?q=` searches, written exactly as `tasks_search_trgm_idx` indexes it (migration 0004): Postgres uses an
 * expression index only for the same expression.
 */
const searchText = sql<string>`(name || ' ' || coalesce(description, '') || ' ' || url)`;

/** One page of tasks and the total count. */
export async function listTasks(db: DbExecutor, query: TaskListQuery): Promise<{ rows: TaskRow[]; total: number }> {
  const queries = taskListQueries(db, query);
  const [rows, count] = await Promise.all([queries.rows.execute(), queries.total.executeTakeFirstOrThrow()]);
  return { rows, total: Number(count.total) };
}

/**
 * The two statements behind `listTasks`, unexecuted, so the query-plan test explains exactly what the app runs.
 * A user's lists use the (user_id, …) indexes; an admin's the ones without user_id; `q` the trigram index.
 */
export function taskListQueries(db: DbExecutor, query: TaskListQuery) {
  let base = withScope(db.selectFrom('tasks'), query.scope);
  if (query.status !== undefined) base = base.where('status', '=', query.status);
  if (query.tag !== undefined) base = base.where('tags', '@>', sql<string[]>`ARRAY[${query.tag}]::text[]`);
  if (query.q !== undefined) {
    const pattern = `%${escapeLike(query.q)}%`;
    // The index finds the candidates over the three fields joined; each field is then matched on its own, so text
    // spanning the end of one field and the start of the next is not a match.
    base = base.where((eb) =>
      eb.and([
        eb(searchText, 'ilike', pattern),
        eb.or([eb('name', 'ilike', pattern), eb('description', 'ilike', pattern), eb('url', 'ilike', pattern)]),
      ]),
    );
  }
  // Postgres' own null order (last ascending, first descending), so one index serves both directions: a task with
  // no next run sorts as the latest. created_at is never null.
  const column = query.sort.endsWith('nextRunAt') ? 'next_run_at' : 'created_at';
  const direction = query.sort.startsWith('-') ? 'desc' : 'asc';
  return {
    rows: base
      .selectAll()
      .orderBy(column, direction)
      .orderBy('id', direction)
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: base.select((eb) => eb.fn.countAll<string>().as('total')),
  };
}

/** Applies a change to a task row and returns the new row. */
export async function updateTaskRow(db: DbExecutor, id: string, changes: TaskRowUpdate): Promise<TaskRow> {
  return db
    .updateTable('tasks')
    .set({ ...changes, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (match) => `\\${match}`);
}

/**
 * Where a walk over the scheduled tasks resumes: after this (nextRunAt, id). `nextRunAt` is Postgres' own text of the
 * timestamp, to the microsecond: a JavaScript Date keeps milliseconds only, and a cursor rounded down to them would
 * read rows of the same millisecond again (and never get past more than a page of them).
 */
export interface ScheduleCursor {
  nextRunAt: string;
  id: string;
}

/** A scheduled task as a walk over them reads it, with the cursor that resumes after it. */
export type ScheduledTask = Pick<TaskRow, 'id' | 'run_id' | 'version' | 'next_run_at'> & { cursor: ScheduleCursor };

/**
 * One page of the tasks that wait for a run (`pending`/`retrying`) due before `before`, in (nextRunAt, id) order from
 * `after`: keyset pagination over the partial index `tasks_due_idx`, so each page costs the same however many there are.
 */
export async function listScheduledTasks(
  db: DbExecutor,
  options: { before: Date; after?: ScheduleCursor; limit: number },
): Promise<ScheduledTask[]> {
  const rows = await scheduledTasksQuery(db, options).execute();
  return rows.map(({ next_run_at_text, ...task }) => ({ ...task, cursor: { nextRunAt: next_run_at_text, id: task.id } }));
}

/** The statement `listScheduledTasks` runs (the query-plan test explains it). */
export function scheduledTasksQuery(db: DbExecutor, options: { before: Date; after?: ScheduleCursor; limit: number }) {
  let query = db
    .selectFrom('tasks')
    .select(['id', 'run_id', 'version', 'next_run_at', sql<string>`next_run_at::text`.as('next_run_at_text')])
    .where('status', 'in', SCHEDULED_STATUSES)
    .where('next_run_at', '<', options.before);
  const after = options.after;
  if (after)
    query = query.where((eb) => eb(eb.refTuple('next_run_at', 'id'), '>', eb.tuple(sql<Date>`${after.nextRunAt}::timestamptz`, after.id)));
  return query.orderBy('next_run_at').orderBy('id').limit(options.limit);
}
