import { sql } from 'kysely';
import type { SigningSecretRow } from './schema.js';
import type { DbExecutor } from './scope.js';

/** How long the secret before a rotation keeps signing beside the new one. */
export const PREVIOUS_SIGNING_SECRET_TTL_MS = 24 * 3_600_000;

export async function findSigningSecret(db: DbExecutor, userId: string): Promise<SigningSecretRow | null> {
  return (await db.selectFrom('signing_secrets').selectAll().where('user_id', '=', userId).executeTakeFirst()) ?? null;
}

/**
 * Stores a user's first signing secret, unless one exists (two requests racing end in one); returns the row that holds.
 * Null when the user does not exist.
 */
export async function insertSigningSecret(db: DbExecutor, userId: string, sealed: string): Promise<SigningSecretRow | null> {
  const inserted = await db
    .insertInto('signing_secrets')
    .values({ user_id: userId, secret: sealed })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .returningAll()
    .executeTakeFirst();
  return inserted ?? findSigningSecret(db, userId);
}

/**
 * Makes `sealed` the user's signing secret in one statement; the one it replaces signs too for the next 24 h (a user
 * without a secret simply gets this one).
 */
export async function rotateSigningSecretRow(db: DbExecutor, userId: string, sealed: string): Promise<SigningSecretRow> {
  return db
    .insertInto('signing_secrets')
    .values({ user_id: userId, secret: sealed, rotated_at: sql`now()` })
    .onConflict((oc) =>
      oc.column('user_id').doUpdateSet({
        previous_secret: sql`signing_secrets.secret`,
        previous_expires_at: sql`now() + ${PREVIOUS_SIGNING_SECRET_TTL_MS} * interval '1 millisecond'`,
        secret: (eb) => eb.ref('excluded.secret'),
        rotated_at: sql`now()`,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}
