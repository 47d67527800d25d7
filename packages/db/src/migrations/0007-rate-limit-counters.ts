import { type Kysely, sql } from 'kysely';

/**
 * The API's rate-limit counters when the queue backend is Postgres (with Redis they live in Redis): one row per key
 * and window, shared by every API replica. UNLOGGED: counters are worth no WAL, and a crash that empties the table
 * only forgives the current minute.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE UNLOGGED TABLE rate_limit_counters (
      key text PRIMARY KEY,
      count integer NOT NULL,
      window_ends_at timestamptz NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE rate_limit_counters`.execute(db);
}
