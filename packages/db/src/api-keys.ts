import { sql } from 'kysely';
import type { ApiKeyRow, UserRow } from './schema.js';
import type { DbExecutor } from './scope.js';

/** The columns an owner may see (never the hash). */
export type ApiKeyListing = Omit<ApiKeyRow, 'hash' | 'user_id'>;

const LISTING = ['id', 'name', 'scope', 'prefix', 'created_at', 'expires_at', 'last_used_at'] as const;

/**
 * Stores a key for `userId` unless they already hold `limit` keys; null when they do. One statement, so a burst of
 * creates cannot overshoot by much (each counts the rows committed before it).
 */
export async function insertApiKey(
  db: DbExecutor,
  key: { userId: string; name: string; scope: ApiKeyRow['scope']; prefix: string; hash: Buffer; expiresAt: Date | null },
  limit: number,
): Promise<ApiKeyListing | null> {
  const row = await db
    .insertInto('api_keys')
    .columns(['user_id', 'name', 'scope', 'prefix', 'hash', 'expires_at'])
    .expression(
      sql`SELECT ${key.userId}::uuid, ${key.name}, ${key.scope}, ${key.prefix}, ${key.hash}::bytea, ${key.expiresAt}::timestamptz
          WHERE (SELECT count(*) FROM api_keys WHERE user_id = ${key.userId}::uuid) < ${limit}`,
    )
    .returning(LISTING)
    .executeTakeFirst();
  return row ?? null;
}

/** A user's keys, oldest first. */
export async function listApiKeys(db: DbExecutor, userId: string): Promise<ApiKeyListing[]> {
  return db.selectFrom('api_keys').select(LISTING).where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
}

/** Deletes the key when it is `userId`'s; whether it was. */
export async function deleteApiKey(db: DbExecutor, userId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('api_keys').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** A key found by its hash, with what a request needs to know about its owner. */
export interface ApiKeyCredential {
  id: string;
  user_id: string;
  scope: ApiKeyRow['scope'];
  expires_at: Date | null;
  last_used_at: Date | null;
  role: UserRow['role'];
  disabled: boolean;
}

/** One unique-index lookup joined to the owner's primary key: what every API-key request costs. */
export async function findApiKeyCredential(db: DbExecutor, hash: Buffer): Promise<ApiKeyCredential | null> {
  const row = await db
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .select([
      'api_keys.id',
      'api_keys.user_id',
      'api_keys.scope',
      'api_keys.expires_at',
      'api_keys.last_used_at',
      'users.role',
      'users.disabled',
    ])
    .where('api_keys.hash', '=', hash)
    .executeTakeFirst();
  return row ?? null;
}

/** Sets last_used_at to now unless it is already less than a minute old: at most one write a minute per key. */
export async function touchApiKey(db: DbExecutor, id: string): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: sql`now()` })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
    .execute();
}
