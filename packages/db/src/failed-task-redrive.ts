import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database, TaskRow } from './schema.js';
import type { Scope } from './scope.js';
import { updateOf } from './task-actions.js';
import { LIVE_STATUSES } from './task-quota.js';

/** Which failed one-off tasks a re-drive takes: the scope's, with the tag, whose last attempt started in [since, until). */
export interface FailedTaskFilter {
  scope: Scope;
  tag?: string;
  since?: Date;
  until?: Date;
}

/**
 * Where the next page starts: after this (last_run_at, id). `lastRunAt` is Postgres' own text of the timestamp, so
 * no microsecond is lost on the way through JavaScript (a page would otherwise read its last row again).
 */
export interface FailedTaskCursor {
  lastRunAt: string;
  id: string;
}

export interface FailedTaskPageRequest extends FailedTaskFilter {
  after: FailedTaskCursor | null;
  /** At most this many tasks (1,000 per page keeps each statement's locks and work small). */
  limit: number;
  /** MAX_TASKS_PER_USER: a task is retried only while its owner stays within it, oldest first. */
  maxTasksPerUser: number;
}

/** A retried task's new state (for its job), and the version it had (whose job is withdrawn). */
export type RedrivenTask = Pick<TaskRow, 'id' | 'run_id' | 'version' | 'status' | 'next_run_at'> & { previous_version: number };

/** One page of a re-drive: every task it matched (in order) and those it retried (as the retry action leaves them). */
export interface FailedTaskPage {
  matched: number;
  /** Null when the page was the last one (fewer than `limit` rows). */
  next: FailedTaskCursor | null;
  retried: RedrivenTask[];
}

/** One page of a dry run: what the page matched, and how many of each owner's tasks the owner has room for. */
export interface FailedTaskCount {
  matched: { id: string; user_id: string }[];
  next: FailedTaskCursor | null;
  /** Per owner met in the page: how many more live tasks the quota leaves room for, as it stands. */
  room: Map<string, number>;
}

interface PageRow {
  id: string;
  user_id: string;
  last_run_at: Date;
  cursor_at: string;
  nth: string;
}

/**
 * The page: failed one-off tasks in (last_run_at, id) order after the cursor, a range of the partial index
 * tasks_failed_user_idx (user_id, last_run_at, id) for one user, or tasks_failed_idx (last_run_at, id) for everyone.
 * `status = 'failed' AND cron IS NULL` is written out (not a parameter) so the planner can match the indexes' predicate.
 * `nth` numbers each owner's tasks within the page, oldest first, for the quota.
 */
function failedTaskPageSql(request: Omit<FailedTaskPageRequest, 'maxTasksPerUser'>): RawBuilder<PageRow> {
  const userId = request.scope.userId;
  const filters: RawBuilder<unknown>[] = [sql`status = 'failed'`, sql`cron IS NULL`];
  if (userId !== undefined) filters.push(sql`user_id = ${userId}`);
  if (request.since !== undefined) filters.push(sql`last_run_at >= ${request.since}`);
  if (request.until !== undefined) filters.push(sql`last_run_at < ${request.until}`);
  if (request.after !== null) filters.push(sql`(last_run_at, id) > (${request.after.lastRunAt}::timestamptz, ${request.after.id}::uuid)`);
  if (request.tag !== undefined) {
    const tagged =
      userId === undefined
        ? sql`SELECT task_id FROM task_tags WHERE tag = ${request.tag}`
        : sql`SELECT task_id FROM task_tags WHERE user_id = ${userId} AND tag = ${request.tag}`;
    filters.push(sql`id IN (${tagged})`);
  }
  // Parenthesized: Kysely puts a raw common table expression's text after `AS` as it is. The range reads ids only (an
  // index-only scan of either index); the owners come from the rows the update visits anyway.
  return sql<PageRow>`(
    SELECT f.id, t.user_id, f.last_run_at, f.last_run_at::text AS cursor_at,
           row_number() OVER (PARTITION BY t.user_id ORDER BY f.last_run_at, f.id) AS nth
    FROM (SELECT id, last_run_at FROM tasks WHERE ${sql.join(filters, sql` AND `)}
          ORDER BY last_run_at, id LIMIT ${request.limit}) f
    JOIN tasks t ON t.id = f.id)`;
}

/**
 * How many more live tasks each owner of the page may have: MAX_TASKS_PER_USER less a count of their live tasks that
 * stops at the quota (the (user_id, status, …) index, as countLiveTasks), one per owner.
 */
function roomSql(maxTasksPerUser: number, owners: RawBuilder<unknown>): RawBuilder<{ user_id: string; room: string }> {
  return sql`(
    SELECT o.user_id,
           ${maxTasksPerUser}::bigint - (SELECT count(*) FROM (SELECT 1 FROM tasks l
                                          WHERE l.user_id = o.user_id AND l.status IN (${sql.join(LIVE_STATUSES)})
                                          LIMIT ${maxTasksPerUser}) live) AS room
    FROM ${owners})`;
}

/**
 * The one statement of a re-drive page: selects the page, locks its owners' quota bounds in user id order (the
 * revive trigger of migration 0009 raises them, and a batch of creates locks them in that order: the same order cannot
 * deadlock), and applies the `retry` action's update (TASK_TRANSITIONS) to each task whose owner has room, re-checking
 * `failed` under the row lock. Every page row comes back, with the retried task's new state when it was retried.
 */
export function redriveFailedPageQuery(db: Kysely<Database>, request: FailedTaskPageRequest) {
  const { changes, previousVersion } = updateOf('retry');
  return db
    .with('page', () => failedTaskPageSql(request))
    .with(
      'locked',
      () =>
        sql<{ user_id: string }>`(
        SELECT user_id FROM task_quota_bounds WHERE user_id = ANY (ARRAY(SELECT DISTINCT user_id FROM page))
        ORDER BY user_id FOR UPDATE)`,
    )
    .with('room', () =>
      // Joined to the locks so that they are taken before any row is updated (the triggers run at the statement's end).
      roomSql(request.maxTasksPerUser, sql`(SELECT DISTINCT user_id FROM page) o LEFT JOIN locked ON locked.user_id = o.user_id`),
    )
    .with('retried', (creator) =>
      creator
        .updateTable('tasks')
        .set(changes as never)
        .where('id', 'in', sql<string>`(SELECT page.id FROM page JOIN room USING (user_id) WHERE page.nth <= room.room)`)
        .where(sql<boolean>`status = 'failed' AND cron IS NULL`)
        .returning(['id', 'run_id', 'version', 'status', 'next_run_at', previousVersion.as('previous_version')]),
    )
    .selectFrom('page')
    .leftJoin('retried', 'retried.id', 'page.id')
    .select([
      'page.id',
      'page.cursor_at',
      'retried.run_id',
      'retried.version',
      'retried.status',
      'retried.next_run_at',
      'retried.previous_version',
    ])
    .orderBy('page.last_run_at')
    .orderBy('page.id');
}

/** Re-drives one page (see `redriveFailedPageQuery`), in one autocommit statement. */
export async function redriveFailedPage(db: Kysely<Database>, request: FailedTaskPageRequest): Promise<FailedTaskPage> {
  const rows = await redriveFailedPageQuery(db, request).execute();
  const retried: FailedTaskPage['retried'] = [];
  for (const row of rows) {
    if (row.run_id === null || row.version === null || row.status === null || row.previous_version === null) continue;
    retried.push({
      id: row.id,
      run_id: row.run_id,
      version: row.version,
      status: row.status,
      next_run_at: row.next_run_at,
      previous_version: Number(row.previous_version),
    });
  }
  return { matched: rows.length, next: nextCursor(rows, request.limit), retried };
}

/** The statement of a dry-run page: the page and its owners' room, nothing locked or changed. */
export function countFailedPageQuery(db: Kysely<Database>, request: FailedTaskPageRequest) {
  return db
    .with('page', () => failedTaskPageSql(request))
    .with('room', () => roomSql(request.maxTasksPerUser, sql`(SELECT DISTINCT user_id FROM page) o`))
    .selectFrom('page')
    .innerJoin('room', 'room.user_id', 'page.user_id')
    .select(['page.id', 'page.user_id', 'page.cursor_at', 'room.room'])
    .orderBy('page.last_run_at')
    .orderBy('page.id');
}

/** Counts one page of a re-drive without changing anything. */
export async function countFailedPage(db: Kysely<Database>, request: FailedTaskPageRequest): Promise<FailedTaskCount> {
  const rows = await countFailedPageQuery(db, request).execute();
  const room = new Map(rows.map((row) => [row.user_id, Math.max(0, Number(row.room))]));
  return { matched: rows.map(({ id, user_id }) => ({ id, user_id })), next: nextCursor(rows, request.limit), room };
}

function nextCursor(rows: readonly { id: string; cursor_at: string }[], limit: number): FailedTaskCursor | null {
  const last = rows.at(-1);
  return rows.length < limit || last === undefined ? null : { lastRunAt: last.cursor_at, id: last.id };
}
