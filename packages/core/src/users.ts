import {
  countOtherActiveAdmins,
  deleteUserWithTasks,
  findUserById,
  listUsers as listUserRows,
  updateUserAccess,
  withUserChangesLock,
  type UserRole,
} from '@punctual/db';
import { requireAdmin } from './access.js';
import { LastAdminError, NotFoundError } from './errors.js';
import { discardAttempts, type Actor, type TaskContext } from './task-context.js';
import { toManagedUserView, type ManagedUserView, type Page } from './views.js';

export interface UserListRequest {
  q?: string;
  page: number;
  limit: number;
}

/** Admins: one page of every account, oldest first, with whether it is disabled; `q` matches part of the email. */
export async function listUsers(context: Pick<TaskContext, 'db'>, actor: Actor, request: UserListRequest): Promise<Page<ManagedUserView>> {
  requireAdmin(actor);
  const { rows, total } = await listUserRows(context.db, request);
  return { data: rows.map(toManagedUserView), page: request.page, limit: request.limit, total };
}

export interface UserChange {
  role?: UserRole;
  disabled?: boolean;
}

/**
 * Admins: changes a user's role or disabled flag; it applies from the user's next request. Refuses (409) to leave no
 * active admin. Serialized with every other such change, so two admins demoting each other cannot both succeed.
 */
export async function updateUser(context: Pick<TaskContext, 'db'>, actor: Actor, id: string, change: UserChange): Promise<ManagedUserView> {
  requireAdmin(actor);
  const row = await withUserChangesLock(context.db, async (trx) => {
    const user = await findUserById(trx, id);
    if (!user) throw new NotFoundError('user');
    const activeAdmin = user.role === 'admin' && !user.disabled;
    const staysActiveAdmin = (change.role ?? user.role) === 'admin' && !(change.disabled ?? user.disabled);
    if (activeAdmin && !staysActiveAdmin && (await countOtherActiveAdmins(trx, id)) === 0) {
      throw new LastAdminError(change.disabled ? 'disable' : 'demote');
    }
    return updateUserAccess(trx, id, change);
  });
  return toManagedUserView(row);
}

const DISCARD_BATCH = 1000;

/**
 * Admins: deletes a user with their tasks, logs and API keys, and withdraws their queued attempts. Refuses (409) to
 * delete the last active admin. Their credentials answer 401 from the next request on.
 */
export async function deleteUser(context: Pick<TaskContext, 'db' | 'queue'>, actor: Actor, id: string): Promise<void> {
  requireAdmin(actor);
  const waiting = await withUserChangesLock(context.db, async (trx) => {
    const user = await findUserById(trx, id);
    if (!user) throw new NotFoundError('user');
    if (user.role === 'admin' && !user.disabled && (await countOtherActiveAdmins(trx, id)) === 0) throw new LastAdminError('delete');
    return deleteUserWithTasks(trx, id);
  });
  // After the commit; a job left behind (Redis away) finds no task and is dropped by the worker.
  for (let start = 0; start < waiting.length; start += DISCARD_BATCH) {
    await discardAttempts(context, waiting.slice(start, start + DISCARD_BATCH));
  }
}
