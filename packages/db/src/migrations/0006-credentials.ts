import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // A disabled account keeps its data but no credential of it works. session_version is carried in each JWT (`sv`):
  // a password change bumps it, which ends every JWT issued before. A counter rather than a "valid after" time,
  // because a JWT's `iat` has one-second resolution and comes from the API's clock, not the database's.
  await sql`ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false`.execute(db);
  await sql`ALTER TABLE users ADD COLUMN session_version integer NOT NULL DEFAULT 0`.execute(db);
  // An admin's `?q=` over the users' emails (pg_trgm is created by 0004); the list sorts by creation.
  await sql`CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops)`.execute(db);
  await sql`CREATE INDEX users_created_idx ON users (created_at, id)`.execute(db);
  // "Is another admin active?" — asked by every change that could remove one — reads the few admins, not every user.
  await sql`CREATE INDEX users_active_admins_idx ON users (id) WHERE role = 'admin' AND NOT disabled`.execute(db);

  // The key itself is never stored: `hash` is its SHA-256. A key is 256 random bits, so unlike a password it cannot
  // be guessed from its hash, and a fast hash lets each request find its key with one unique-index lookup.
  await sql`
    CREATE TABLE api_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      name text NOT NULL,
      scope text NOT NULL CHECK (scope IN ('full', 'read')),
      prefix text NOT NULL,
      hash bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz,
      last_used_at timestamptz
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX api_keys_hash_key ON api_keys (hash)`.execute(db);
  await sql`CREATE INDEX api_keys_user_created_idx ON api_keys (user_id, created_at, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE api_keys`.execute(db);
  await sql`DROP INDEX users_active_admins_idx`.execute(db);
  await sql`DROP INDEX users_created_idx`.execute(db);
  await sql`DROP INDEX users_email_trgm_idx`.execute(db);
  await sql`ALTER TABLE users DROP COLUMN session_version`.execute(db);
  await sql`ALTER TABLE users DROP COLUMN disabled`.execute(db);
}
