import { countLiveTasks, lockTaskQuota, type Database, type Transaction } from '@punctual/db';
import { QuotaExceededError } from './errors.js';

/**
 * How far below the quota a user must be for a create to skip the lock: more creates than this in flight for one
 * user at once could otherwise overshoot it together. Far from the quota (nearly always) a create pays one index-only count.
 */
export const UNLOCKED_MARGIN = 1_000;

/**
 * Throws QuotaExceededError when the user already has `maxTasks` live tasks. Call it in the transaction that inserts
 * the task: near the quota it takes the user's quota lock and counts again, so concurrent creates cannot pass it together.
 */
export async function reserveTaskSlot(trx: Transaction<Database>, userId: string, maxTasks: number): Promise<void> {
  if ((await countLiveTasks(trx, userId, maxTasks)) + UNLOCKED_MARGIN < maxTasks) return;
  await lockTaskQuota(trx, userId);
  // A new statement sees every create committed before the lock was granted.
  if ((await countLiveTasks(trx, userId, maxTasks)) >= maxTasks) throw new QuotaExceededError(maxTasks);
}
