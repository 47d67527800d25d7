import type { Kysely } from 'kysely';
import type { Database, UserRow } from './schema.js';

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

/** Creates the admin, or makes the existing account with that email an admin with that password. */
export async function upsertAdmin(db: Kysely<Database>, admin: { email: string; passwordHash: string }): Promise<UserRow> {
  return db
    .insertInto('users')
    .values({ email: admin.email, password_hash: admin.passwordHash, role: 'admin' })
    .onConflict((oc) => oc.column('email').doUpdateSet({ password_hash: admin.passwordHash, role: 'admin', updated_at: new Date() }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findUserByEmail(db: Kysely<Database>, email: string): Promise<UserRow | null> {
  return (await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst()) ?? null;
}

export async function findUserById(db: Kysely<Database>, id: string): Promise<UserRow | null> {
  return (await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}
