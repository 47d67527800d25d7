import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // `run` on a paused task makes one run, then the task goes back to paused.
  await sql`ALTER TABLE tasks ADD COLUMN hold_after_run boolean NOT NULL DEFAULT false`.execute(db);
  // `reset-retries` starts the attempt count of a run again, so (run_id, attempt) is no longer unique;
  // at most one success per run still is (task_logs_run_success_key).
  await sql`DROP INDEX task_logs_run_attempt_key`.execute(db);
  await sql`CREATE INDEX task_logs_run_idx ON task_logs (run_id, attempt)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX task_logs_run_idx`.execute(db);
  await sql`CREATE UNIQUE INDEX task_logs_run_attempt_key ON task_logs (run_id, attempt)`.execute(db);
  await sql`ALTER TABLE tasks DROP COLUMN hold_after_run`.execute(db);
}
