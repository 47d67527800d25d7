import { SCHEDULED_STATUSES } from '@punctual/scheduling';
import { type Kysely, type Transaction, sql } from 'kysely';
import type { Database, UserRow } from './schema.js';
import type { DbExecutor } from './scope.js';
import { executePrepared, preparedStatement } from './connection.js';

export type UserRole = UserRow['role'];

/** Inserts a user; returns null when the email is taken (the unique index decides, so races end in one row). */
export async function insertUser(
  db: Kysely<Database>,
  user: { email: string; passwordHash: string; role?: UserRole },
): Promise<UserRow | null> {
  const row = await db
    .insertInto('users')
    .values({ email: user.email, password_hash: user.passwordHash, role: user.role ?? 'user' })
    .onConflict((oc) => oc.column('email').doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ?? null;
}

/**
 * Creates the admin, or sets the password of the existing admin with that email. Returns null, changing nothing, when
 * the email belongs to an account that is not an admin: whoever registered it first must not be promoted by a restart.
 */
export async function upsertAdmin(db: Kysely<Database>, admin: { email: string; passwordHash: string }): Promise<UserRow | null> {
  const row = await db
    .insertInto('users')
    .values({ email: admin.email, password_hash: admin.passwordHash, role: 'admin' })
    .onConflict((oc) =>
      oc
        .column('email')
        .doUpdateSet({ password_hash: admin.passwordHash, updated_at: sql`now()` })
        .where('users.role', '=', 'admin'),
    )
    .returningAll()
    .executeTakeFirst();
  return row ?? null;
}

export async function findUserByEmail(db: DbExecutor, email: string): Promise<UserRow | null> {
  return (await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst()) ?? null;
}

export async function findUserById(db: DbExecutor, id: string): Promise<UserRow | null> {
  return (await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

/** What every JWT request checks about its account: one primary-key lookup. */
export type UserAccess = Pick<UserRow, 'role' | 'disabled' | 'session_version'>;

/**
 * The access of several accounts in one primary-key lookup (the concurrent requests' ids, batched), by id; an id
 * without an account is absent.
 */
export async function findUsersAccess(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, UserAccess>> {
  const rows = await executePrepared<UserAccess & { id: string }>(db, FIND_USERS_ACCESS, [[...new Set(ids)]]);
  return new Map(rows.map(({ id, ...access }) => [id, access]));
}

const FIND_USERS_ACCESS = preparedStatement(
  'users.find-access-batch',
  'SELECT id, role, disabled, session_version FROM users WHERE id = ANY ($1::uuid[])',
);

/**
 * Replaces a user's password hash. `endSessions` bumps session_version (every JWT issued before stops working); without
 * it (a rehash at login) the row is changed only while it still holds `previousHash`, so a concurrent password change wins.
 */
export async function setPasswordHash(
  db: DbExecutor,
  id: string,
  change: { passwordHash: string; endSessions: boolean; previousHash?: string },
): Promise<boolean> {
  let query = db
    .updateTable('users')
    .set((eb) => ({
      password_hash: change.passwordHash,
      updated_at: sql`now()`,
      ...(change.endSessions ? { session_version: eb('session_version', '+', 1) } : {}),
    }))
    .where('id', '=', id);
  if (change.previousHash !== undefined) query = query.where('password_hash', '=', change.previousHash);
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export interface UserListQuery {
  /** Case-insensitive substring of the email. */
  q?: string;
  page: number;
  limit: number;
}

/** One page of users, oldest first, and the total count. */
export async function listUsers(db: DbExecutor, query: UserListQuery): Promise<{ rows: UserRow[]; total: number }> {
  let base = db.selectFrom('users');
  if (query.q !== undefined) base = base.where('email', 'ilike', `%${query.q.replace(/[\\%_]/g, (match) => `\\${match}`)}%`);
  const [rows, count] = await Promise.all([
    base
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .limit(query.limit)
      .offset((query.page - 1) * query.limit)
      .execute(),
    base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.total) };
}

// Any constant works: it only has to be the same in every transaction that can take an admin's rights away.
const ADMIN_CHANGES_LOCK = 0x70756e6374_01n;

/**
 * Runs `work` in a transaction that holds the lock every change to a user's role, disabled flag or existence takes,
 * so two such changes never both see "another active admin remains" and leave none.
 */
export async function withUserChangesLock<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${ADMIN_CHANGES_LOCK.toString()}::bigint)`.execute(trx);
    return work(trx);
  });
}

/** Active (not disabled) admins other than `exceptId`. */
export async function countOtherActiveAdmins(db: DbExecutor, exceptId: string): Promise<number> {
  const { total } = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string>().as('total'))
    .where('role', '=', 'admin')
    .where('disabled', '=', false)
    .where('id', '<>', exceptId)
    .executeTakeFirstOrThrow();
  return Number(total);
}

export async function updateUserAccess(db: DbExecutor, id: string, changes: { role?: UserRole; disabled?: boolean }): Promise<UserRow> {
  return db
    .updateTable('users')
    .set({ ...changes, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Deletes a user with their tasks (logs, idempotency keys and API keys go by foreign key). Returns the deleted tasks
 * that were waiting for an attempt, whose queued jobs the caller withdraws.
 */
export async function deleteUserWithTasks(db: DbExecutor, id: string): Promise<{ id: string; version: number }[]> {
  const waiting = await db
    .with('deleted', (qb) => qb.deleteFrom('tasks').where('user_id', '=', id).returning(['id', 'version', 'status']))
    .selectFrom('deleted')
    .select(['id', 'version'])
    .where('status', 'in', SCHEDULED_STATUSES)
    .execute();
  await db.deleteFrom('users').where('id', '=', id).execute();
  return waiting;
}
