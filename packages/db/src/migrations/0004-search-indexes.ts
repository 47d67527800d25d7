import { type Kysely, sql } from 'kysely';

/**
 * Indexes for the list filters, the logs search and the stats, so none of them reads a whole table
 * (`packages/db/test/query-plans.test.ts` pins the plans over 100k tasks).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Trigram indexes serve `LIKE '%…%'` searches. pg_trgm is a trusted extension (Postgres 13+), so the database owner
  // may create it without superuser rights.
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
  // `?q=`: one index over name, description and URL rather than three. listTasks matches this exact expression
  // (`searchText` in tasks.ts) to find candidates, then each field, so a match across two fields is not one.
  await sql`
    CREATE INDEX tasks_search_trgm_idx ON tasks
    USING gin ((name || ' ' || coalesce(description, '') || ' ' || url) gin_trgm_ops)`.execute(db);

  // An admin's lists span every user, so the (user_id, …) indexes cannot serve them: the default sort, the
  // nextRunAt sort, and a status filter (which also gives the admin's stats their count per status).
  await sql`CREATE INDEX tasks_created_idx ON tasks (created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX tasks_next_run_idx ON tasks (next_run_at, id)`.execute(db);
  await sql`CREATE INDEX tasks_status_created_idx ON tasks (status, created_at DESC, id DESC)`.execute(db);

  // Logs and stats read outcome and duration with the time: carried in the index, a user's log count and stats are
  // index-only scans. Replaces the plain (user_id, started_at, id) index rather than sitting beside it.
  await sql`
    CREATE INDEX task_logs_user_started_covering_idx ON task_logs (user_id, started_at DESC, id DESC)
    INCLUDE (outcome, duration_ms)`.execute(db);
  await sql`DROP INDEX task_logs_user_started_idx`.execute(db);
  // The same across users, for an admin's log list and stats. `outcome` has two values, so it is filtered from the
  // index entries rather than indexed on its own.
  await sql`CREATE INDEX task_logs_started_idx ON task_logs (started_at DESC, id DESC) INCLUDE (outcome, duration_ms)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX task_logs_started_idx`.execute(db);
  await sql`CREATE INDEX task_logs_user_started_idx ON task_logs (user_id, started_at DESC, id DESC)`.execute(db);
  await sql`DROP INDEX task_logs_user_started_covering_idx`.execute(db);
  await sql`DROP INDEX tasks_status_created_idx`.execute(db);
  await sql`DROP INDEX tasks_next_run_idx`.execute(db);
  await sql`DROP INDEX tasks_created_idx`.execute(db);
  await sql`DROP INDEX tasks_search_trgm_idx`.execute(db);
  // pg_trgm stays: dropping an extension other objects may have come to use is not a migration's call.
}
