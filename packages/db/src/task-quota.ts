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
 * Holds the user's task-quota lock until the transaction ends, so creates near the quota are counted one at a time.
 * An advisory lock on a hash of the user id: no row is locked, so nothing else about the user waits for it.
 */
export async function lockTaskQuota(trx: Transaction<Database>, userId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`punctual:task-quota:${userId}`}, 0))`.execute(trx);
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
