import { sql, type Transaction } from 'kysely';
import { TASK_STATUSES, isTerminal } from '@punctual/scheduling';
import type { Database } from './schema.js';
import { withScope, type DbExecutor, type Scope } from './scope.js';

/** Statuses that count against a user's task quota: every one a task can still leave. */
export const LIVE_STATUSES = TASK_STATUSES.filter((status) => !isTerminal(status));

/**
 * The statement `countLiveTasks` runs (the query-plan test explains it): an index-only scan of (user_id, status, …),
 * stopped at `atMost` rows, so a user far beyond the quota costs no more than one at it.
 */
export function liveTaskCountQuery(db: DbExecutor, userId: string, atMost: number) {
  const live = db
    .selectFrom('tasks')
    .select(sql<number>`1`.as('one'))
    .where('user_id', '=', userId)
    .where('status', 'in', LIVE_STATUSES)
    .limit(atMost)
    .as('live');
  return db.selectFrom(live).select((eb) => eb.fn.countAll<string>().as('total'));
}

/** How many of the user's tasks are live (not completed, failed or cancelled), counting no further than `atMost`. */
export async function countLiveTasks(db: DbExecutor, userId: string, atMost: number): Promise<number> {
  const { total } = await liveTaskCountQuery(db, userId, atMost).executeTakeFirstOrThrow();
  return Number(total);
}

/**
 * Locks the user's quota bound until the transaction ends (making the row when the user has none) and returns it: the
 * number the user's live tasks cannot exceed, or null when unknown (a row just made). Every create of the user waits
 * for this lock, so a count taken after it sees every create that got past the quota before.
 */
export async function lockTaskQuotaBound(trx: Transaction<Database>, userId: string): Promise<number | null> {
  const { rows } = await sql<{ live_at_most: string | null }>`
    INSERT INTO task_quota_bounds AS b (user_id, live_at_most) VALUES (${userId}, NULL)
    ON CONFLICT (user_id) DO UPDATE SET live_at_most = b.live_at_most
    RETURNING live_at_most`.execute(trx);
  const bound = rows[0]?.live_at_most ?? null;
  return bound === null ? null : Number(bound);
}

/** Sets the user's quota bound to a count taken under `lockTaskQuotaBound`'s lock. */
export async function setTaskQuotaBound(trx: Transaction<Database>, userId: string, live: number): Promise<void> {
  await trx
    .updateTable('task_quota_bounds')
    .set({ live_at_most: String(live) })
    .where('user_id', '=', userId)
    .execute();
}

/**
 * The tasks among `ids` that the scope may see and that are finished (completed, failed or cancelled), with their
 * owners: an action that brings them back to life counts against each owner's quota. One primary-key lookup per id.
 */
export async function findFinishedTasks(db: DbExecutor, scope: Scope, ids: readonly string[]): Promise<{ id: string; user_id: string }[]> {
  if (ids.length === 0) return [];
  const query = db.selectFrom('tasks').select(['id', 'user_id']).where('id', 'in', ids).where('status', 'not in', LIVE_STATUSES);
  return withScope(query, scope).execute();
}
