import { type AliasedExpression, type Expression, type ExpressionBuilder, type Kysely, type SqlBool, type Transaction, sql } from 'kysely';
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

/**
 * A list's total is counted exactly while the matches are at most this many (a count that reads at most this many
 * index entries, whatever the table holds); beyond, it is Postgres' estimate and `totalExact` is false.
 */
export const EXACT_TOTAL_CAP = 1_000;

/** One page of a list and its total: exact, or an estimate when more than `EXACT_TOTAL_CAP` match. */
export interface ListPage<Row> {
  rows: Row[];
  total: number;
  totalExact: boolean;
}

/** One page of tasks and the total count (see `EXACT_TOTAL_CAP`). */
export async function listTasks(db: DbExecutor, query: TaskListQuery): Promise<ListPage<TaskRow>> {
  const queries = taskListQueries(db, query);
  const offset = (query.page - 1) * query.limit;
  // A page that is not full is the last one: where it ends is the total (and a first page that is empty, 0).
  const endsTheList = (rows: TaskRow[]) => rows.length < query.limit && (rows.length > 0 || offset === 0);
  let rows: TaskRow[];
  let count: number;
  if (query.q === undefined) {
    // The page and the count side by side: each is a short range of an index.
    const [page, counted] = await Promise.all([queries.rows.execute(), queries.total.executeTakeFirstOrThrow()]);
    rows = page;
    count = Number(counted.total);
  } else {
    // A search's page and count would each read the same trigram posting lists (the bulk of its cost), and a search
    // usually fits on one page: the page first, and a count only when the page does not tell the total.
    rows = await queries.rows.execute();
    if (endsTheList(rows)) return { rows, total: offset + rows.length, totalExact: true };
    count = Number((await queries.total.executeTakeFirstOrThrow()).total);
  }
  if (count <= EXACT_TOTAL_CAP) return { rows, total: count, totalExact: true };
  if (endsTheList(rows)) return { rows, total: offset + rows.length, totalExact: true };
  const estimate = await estimatedRows(queries.matches);
  // More than the cap match; a full page says at least up to its end, an empty one past the end at most its offset.
  const total =
    rows.length === 0 && offset > EXACT_TOTAL_CAP
      ? Math.min(Math.max(estimate, EXACT_TOTAL_CAP + 1), offset)
      : Math.max(estimate, EXACT_TOTAL_CAP + 1, offset + rows.length);
  return { rows, total, totalExact: false };
}

/** The number of rows Postgres' planner expects the statement to return (EXPLAIN, without running it). */
async function estimatedRows(query: { explain(format: 'json'): Promise<Array<Record<string, unknown>>> }): Promise<number> {
  const [result] = await query.explain('json');
  const [explained] = result!['QUERY PLAN'] as Array<{ Plan: { 'Plan Rows': number } }>;
  return Math.round(explained!.Plan['Plan Rows']);
}

/**
 * The statements behind `listTasks`, unexecuted, so the query-plan test explains exactly what the app runs: the page,
 * the count (of at most `EXACT_TOTAL_CAP` + 1 matches) and the matches themselves (what an estimate is asked of).
 * A user's lists use the (user_id, …) indexes; an admin's the ones without user_id; `q` the trigram index; `tag`
 * `task_tags` (migration 0008), walked in list order when the list is sorted by creation time.
 */
export function taskListQueries(db: DbExecutor, query: TaskListQuery) {
  const byCreation = !query.sort.endsWith('nextRunAt');
  const direction = query.sort.startsWith('-') ? 'desc' : 'asc';
  const offset = (query.page - 1) * query.limit;
  const filters = (eb: ExpressionBuilder<Database, 'tasks'>): Expression<SqlBool> => {
    const conditions: Expression<SqlBool>[] = [];
    if (query.status !== undefined) conditions.push(eb('tasks.status', '=', query.status));
    if (query.q !== undefined) {
      const pattern = `%${escapeLike(query.q)}%`;
      // The index finds the candidates over the three fields joined; each field is then matched on its own, so text
      // spanning the end of one field and the start of the next is not a match.
      conditions.push(
        eb(searchText, 'ilike', pattern),
        eb.or([eb('tasks.name', 'ilike', pattern), eb('tasks.description', 'ilike', pattern), eb('tasks.url', 'ilike', pattern)]),
      );
    }
    return eb.and(conditions);
  };
  const count = <Matches extends { as(alias: 'matches'): AliasedExpression<unknown, 'matches'> }>(matches: Matches) =>
    db.selectFrom(matches.as('matches')).select((eb) => eb.fn.countAll<string>().as('total'));

  const onlyTag = query.status === undefined && query.q === undefined;
  // The tag's rows, (user_id, tag, created_at, task_id) in task_tags_user_tag_created_idx (tag, … for an admin). The
  // scope applies to task_tags' copy of the owner, the column its index leads with.
  let tagged = db.selectFrom('task_tags').where('task_tags.tag', '=', query.tag ?? '');
  if (query.scope.userId !== undefined) tagged = tagged.where('task_tags.user_id', '=', query.scope.userId);
  // A tag alone is counted from task_tags: an index-only range.
  const tagMatches = tagged.select('task_tags.task_id');

  if (query.tag !== undefined && byCreation && onlyTag) {
    // The page's 20 ids from the index alone (an offset skips index entries, not rows), then their tasks: same
    // created_at and id as task_tags' copies, so the order is the tasks' own.
    const page = tagged
      .select(['task_tags.task_id', 'task_tags.created_at'])
      .orderBy('task_tags.created_at', direction)
      .orderBy('task_tags.task_id', direction)
      .limit(query.limit)
      .offset(offset)
      .as('page');
    return {
      rows: db
        .selectFrom(page)
        .innerJoin('tasks', 'tasks.id', 'page.task_id')
        .selectAll('tasks')
        .orderBy('page.created_at', direction)
        .orderBy('page.task_id', direction),
      total: count(tagMatches.limit(EXACT_TOTAL_CAP + 1)),
      matches: tagMatches,
    };
  }
  if (query.tag !== undefined && byCreation) {
    // With more filters: the tag's rows in list order, each joined to its task until a page of them passes.
    const joined = tagged.innerJoin('tasks', 'tasks.id', 'task_tags.task_id').where(filters);
    const matches = joined.select('tasks.id');
    return {
      rows: joined
        .selectAll('tasks')
        .orderBy('task_tags.created_at', direction)
        .orderBy('task_tags.task_id', direction)
        .limit(query.limit)
        .offset(offset),
      total: count(matches.limit(EXACT_TOTAL_CAP + 1)),
      matches,
    };
  }

  let base = withScope(db.selectFrom('tasks'), query.scope).where(filters);
  // Sorted by next run: the tag's tasks as a set, the order from the (…, next_run_at, id) index.
  if (query.tag !== undefined) base = base.where('tasks.id', 'in', tagMatches);
  // Postgres' own null order (last ascending, first descending), so one index serves both directions: a task with
  // no next run sorts as the latest. created_at is never null.
  const column = byCreation ? 'tasks.created_at' : 'tasks.next_run_at';
  const rows = base.selectAll('tasks').orderBy(column, direction).orderBy('tasks.id', direction).limit(query.limit).offset(offset);
  if (query.tag !== undefined && onlyTag) return { rows, total: count(tagMatches.limit(EXACT_TOTAL_CAP + 1)), matches: tagMatches };
  const matches = base.select('tasks.id');
  return { rows, total: count(matches.limit(EXACT_TOTAL_CAP + 1)), matches };
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
