import { countLiveTasks, lockTaskQuotaBound, setTaskQuotaBound, type Database, type Transaction } from '@punctual/db';
import { QuotaExceededError } from './errors.js';

/**
 * Throws QuotaExceededError when the user already has `maxTasks` live tasks. Call it in the transaction that inserts
 * the task: it takes the user's quota lock, and while the user's quota bound (migration 0009) leaves room that is all;
 * otherwise it counts the live tasks, refuses at the quota, and sets the bound to the count (the insert then adds one).
 */
export async function reserveTaskSlot(trx: Transaction<Database>, userId: string, maxTasks: number): Promise<void> {
  const bound = await lockTaskQuotaBound(trx, userId);
  if (bound !== null && bound + 1 <= maxTasks) return;
  // A new statement, after the lock: it sees every create committed before the lock was granted.
  const live = await countLiveTasks(trx, userId, maxTasks);
  if (live >= maxTasks) throw new QuotaExceededError(maxTasks);
  await setTaskQuotaBound(trx, userId, live);
}
