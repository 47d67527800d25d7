import {
  type AliasedExpression,
  type Compilable,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SqlBool,
  type Transaction,
  sql,
} from 'kysely';
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
 * A trigram in more than this share of the searched texts is not asked of the trigram index beside a rarer one: a GIN
 * scan walks the posting list of every trigram it is given, and one in many rows costs more to walk than it removes.
 */
const FREQUENT_TRIGRAM_SHARE = 0.01;
/**
 * Nor alone when in more than this share: its candidates would outnumber the rows a walk in list order reads before a
 * page of matches (the planner's choice without the index).
 */
const COMMON_TRIGRAM_SHARE = 0.05;
/** At most this many of a pattern's trigrams are asked of the index; the whole pattern is matched on the candidates. */
const MAX_SEARCH_TERMS = 3;
/** What pg_trgm makes trigrams of: letters and digits (anything else separates words). */
const WORD_CHARACTER = /^[\p{L}\p{N}]$/u;

/**
 * How common each of the most common trigrams of the searched texts is (share of rows), from the statistics ANALYZE
 * keeps on `task_search` (migration 0010); empty before the first ANALYZE, or when the statistics are not ours to read.
 */
export type TrigramFrequencies = ReadonlyMap<string, number>;

const TRIGRAM_FREQUENCIES_TTL_MS = 5 * 60_000;
/** No statistics yet (a new table, before autovacuum's first ANALYZE of it): asked again sooner. */
const NO_TRIGRAM_FREQUENCIES_TTL_MS = 10_000;
const trigramFrequencies = new WeakMap<object, { loadedAt: number; ttlMs: number; frequencies: Promise<TrigramFrequencies> }>();

/**
 * The trigram statistics, read at most every 5 minutes per database handle (they change only with ANALYZE), every 10 s
 * while there are none.
 */
export async function searchTrigramFrequencies(db: DbExecutor): Promise<TrigramFrequencies> {
  const cached = trigramFrequencies.get(db);
  if (cached && Date.now() - cached.loadedAt < cached.ttlMs) return cached.frequencies;
  const entry = { loadedAt: Date.now(), ttlMs: TRIGRAM_FREQUENCIES_TTL_MS, frequencies: Promise.resolve<TrigramFrequencies>(new Map()) };
  entry.frequencies = sql<{ trigrams: string[] | null; shares: number[] | null }>`
    SELECT most_common_elems::text::text[] AS trigrams, most_common_elem_freqs AS shares FROM pg_stats_ext_exprs
     WHERE statistics_schemaname = current_schema() AND statistics_name = 'task_search_trigram_stats'`
    .execute(db)
    .then(({ rows }) => {
      const [stats] = rows;
      const map = new Map<string, number>();
      stats?.trigrams?.forEach((trigram, index) => map.set(trigram, stats.shares![index]!));
      if (map.size === 0) entry.ttlMs = NO_TRIGRAM_FREQUENCIES_TTL_MS;
      return map;
    });
  trigramFrequencies.set(db, entry);
  // A failed read is not remembered: the next search asks again.
  entry.frequencies.catch(() => trigramFrequencies.delete(db));
  return entry.frequencies;
}

/**
 * What the trigram index is asked for a search: runs of three letters or digits of `q`, each a `LIKE '%abc%'` whose one
 * trigram the index looks up: the rarest (when in at most `COMMON_TRIGRAM_SHARE` of the rows), and the next rarest
 * that are in at most `FREQUENT_TRIGRAM_SHARE`, up to `MAX_SEARCH_TERMS` (ties in the order of `q`). Each is a
 * substring of `q`, so every match of the whole pattern is among the candidates. Empty when `q` has no such run or
 * only common ones: the page then walks the tasks in list order, which soon finds a page of a common pattern.
 */
export function searchTerms(q: string, frequencies: TrigramFrequencies): string[] {
  const characters = [...q];
  const found = new Map<string, { text: string; share: number; at: number }>();
  for (let at = 0; at + 3 <= characters.length; at++) {
    const run = characters.slice(at, at + 3);
    if (!run.every((character) => WORD_CHARACTER.test(character))) continue;
    const text = run.join('');
    const trigram = text.toLowerCase();
    const share = frequencies.get(trigram) ?? 0;
    if (!found.has(trigram)) found.set(trigram, { text, share, at });
  }
  return [...found.values()]
    .sort((a, b) => a.share - b.share || a.at - b.at)
    .filter((term, index) => term.share <= (index === 0 ? COMMON_TRIGRAM_SHARE : FREQUENT_TRIGRAM_SHARE))
    .slice(0, MAX_SEARCH_TERMS)
    .map((term) => `%${term.text}%`);
}

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
  const queries = taskListQueries(db, query, query.q === undefined ? undefined : await searchTrigramFrequencies(db));
  const offset = (query.page - 1) * query.limit;
  // A page that is not full is the last one: where it ends is the total (and a first page that is empty, 0).
  const endsTheList = (rows: TaskRow[]) => rows.length < query.limit && (rows.length > 0 || offset === 0);
  let rows: TaskRow[];
  let count: number;
  if (query.q === undefined) {
    // The page and its count in one statement (one round trip; each a short range of an index), the count beside
    // each row; an empty page past the end has none, and is counted on its own.
    const counted = await pageWithTotal(queries).execute(db);
    rows = counted.rows.map(({ list_total: _total, ...row }) => row);
    if (rows.length === 0 && offset === 0) return { rows, total: 0, totalExact: true };
    count = Number(counted.rows[0]?.list_total ?? (await queries.total.executeTakeFirstOrThrow()).total);
  } else {
    // A search's page and count would each read the same trigram posting lists (the bulk of its cost), and a search
    // usually fits on one page: the page first, and a count only when the page does not tell the total.
    rows = await queries.rows.execute();
    if (endsTheList(rows)) return { rows, total: offset + rows.length, totalExact: true };
    count = Number((await queries.total.executeTakeFirstOrThrow()).total);
  }
  if (count <= EXACT_TOTAL_CAP) return { rows, total: count, totalExact: true };
  if (endsTheList(rows)) return { rows, total: offset + rows.length, totalExact: true };
  const estimate = await estimatedRows(db, queries.matches);
  // More than the cap match; a full page says at least up to its end, an empty one past the end at most its offset.
  const total =
    rows.length === 0 && offset > EXACT_TOTAL_CAP
      ? Math.min(Math.max(estimate, EXACT_TOTAL_CAP + 1), offset)
      : Math.max(estimate, EXACT_TOTAL_CAP + 1, offset + rows.length);
  return { rows, total, totalExact: false };
}

/** The page of a list and its count (at most `EXACT_TOTAL_CAP` + 1) as one statement: the count beside each row. */
export function pageWithTotal(queries: { rows: Compilable; total: Compilable }) {
  return sql<TaskRow & { list_total: string }>`
    SELECT list_page.*, (${queries.total}) AS list_total FROM (${queries.rows}) AS list_page`;
}

/**
 * How long an estimated total is reused for the same filters (every page of a list shares it). The planner's estimate
 * moves only with ANALYZE and the table's size, and the total is flagged as an estimate anyway.
 */
const ESTIMATE_TTL_MS = 30_000;
const ESTIMATES_KEPT = 1_000;
const estimates = new WeakMap<object, Map<string, { at: number; rows: number }>>();

/**
 * The number of rows Postgres' planner expects the statement to return (EXPLAIN, without running it), remembered for
 * `ESTIMATE_TTL_MS` per database handle and statement.
 */
async function estimatedRows(db: DbExecutor, query: Compilable & Explainable): Promise<number> {
  const compiled = query.compile();
  const key = `${compiled.sql}\u0000${JSON.stringify(compiled.parameters)}`;
  let kept = estimates.get(db);
  if (!kept) estimates.set(db, (kept = new Map<string, { at: number; rows: number }>()));
  const known = kept.get(key);
  if (known && Date.now() - known.at < ESTIMATE_TTL_MS) return known.rows;
  const [result] = await query.explain('json');
  const [explained] = result!['QUERY PLAN'] as Array<{ Plan: { 'Plan Rows': number } }>;
  const rows = Math.round(explained!.Plan['Plan Rows']);
  if (kept.size >= ESTIMATES_KEPT) kept.clear();
  kept.set(key, { at: Date.now(), rows });
  return rows;
}

interface Explainable {
  explain(format: 'json'): Promise<Array<Record<string, unknown>>>;
}

/**
 * The statements behind `listTasks`, unexecuted, so the query-plan test explains exactly what the app runs: the page,
 * the count (of at most `EXACT_TOTAL_CAP` + 1 matches) and the matches themselves (what an estimate is asked of).
 * A user's lists use the (user_id, …) indexes; an admin's the ones without user_id; `q` the trigram index; `tag`
 * `task_tags` (migration 0008), walked in list order when the list is sorted by creation time.
 */
export function taskListQueries(db: DbExecutor, query: TaskListQuery, frequencies: TrigramFrequencies = new Map()) {
  const byCreation = !query.sort.endsWith('nextRunAt');
  const direction = query.sort.startsWith('-') ? 'desc' : 'asc';
  const offset = (query.page - 1) * query.limit;
  const filters = (eb: ExpressionBuilder<Database, 'tasks'>): Expression<SqlBool> => {
    const conditions: Expression<SqlBool>[] = [];
    if (query.status !== undefined) conditions.push(eb('tasks.status', '=', query.status));
    if (query.q !== undefined) {
      const pattern = `%${escapeLike(query.q)}%`;
      // The index finds the candidates from the three fields joined (task_search's text), by the pattern's rarer
      // trigrams; each field is then matched on its own, so text spanning the end of one field and the start of the
      // next is not a match.
      const terms = searchTerms(query.q, frequencies);
      if (terms.length > 0) {
        let candidates = db.selectFrom('task_search').select('task_search.task_id');
        if (query.scope.userId !== undefined) candidates = candidates.where('task_search.user_id', '=', query.scope.userId);
        for (const term of terms) candidates = candidates.where('task_search.body', 'ilike', term);
        // The whole pattern on the candidates' text before their tasks are read, written so that the index is not
        // asked for its (common) trigrams too.
        candidates = candidates.where(sql<string>`task_search.body || ''`, 'ilike', pattern);
        conditions.push(eb('tasks.id', 'in', candidates));
      }
      conditions.push(
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
