import { type Kysely, sql } from 'kysely';

/**
 * Each user's Standard Webhooks signing secret, sealed (secret box, the user id as authenticated data). After a
 * rotation the secret before it keeps signing beside the new one until `previous_expires_at`, so receivers can switch
 * without dropping calls. A table of its own, created lazily: the migration cannot seal without SECRETS_KEY.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE signing_secrets (
      user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
      secret text NOT NULL,
      previous_secret text,
      previous_expires_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      rotated_at timestamptz,
      CHECK ((previous_secret IS NULL) = (previous_expires_at IS NULL))
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE signing_secrets`.execute(db);
}
