import { type Kysely, sql } from 'kysely';

/**
 * Outcome deliveries (issue 11). `notifications` holds one row per email or callback an attempt's outcome asks for,
 * written in the statement that records the attempt, so an event is never lost between the two; its id is the job id
 * of its delivery (one job per event). A notification outlives its task (a callback of the last run still goes out
 * when the task is deleted at once; retention removes it) but not its user. `tasks.callbacks` holds a task's callback
 * URLs; `tasks.consecutive_failures` the runs in a row that failed (reset by a success) and `tasks.failure_alerted`
 * whether that streak's alert went out, for `notify.afterConsecutiveFailures`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE tasks ADD COLUMN callbacks jsonb`.execute(db);
  await sql`ALTER TABLE tasks ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0`.execute(db);
  await sql`ALTER TABLE tasks ADD COLUMN failure_alerted boolean NOT NULL DEFAULT false`.execute(db);
  await sql`
    CREATE TABLE notifications (
      id uuid PRIMARY KEY,
      task_id uuid NOT NULL,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      run_id uuid NOT NULL,
      attempt integer NOT NULL,
      log_id uuid NOT NULL,
      channel text NOT NULL CHECK (channel IN ('email', 'callback')),
      event text NOT NULL,
      recipient text NOT NULL,
      payload jsonb NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      locked_until timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz
    )`.execute(db);
  // One row per event of an attempt (its log row): a lost attempt closed by the reconciler and a late record of the same
  // attempt cannot both add one, while a run's attempt numbers that come round again after reset-retries still do.
  await sql`CREATE UNIQUE INDEX notifications_event_key ON notifications (log_id, channel, event)`.execute(db);
  // A user's deletion takes their notifications with it.
  await sql`CREATE INDEX notifications_user_idx ON notifications (user_id)`.execute(db);
  // A task's deliveries, newest first (GET /tasks/:id/notifications).
  await sql`CREATE INDEX notifications_task_created_idx ON notifications (task_id, created_at DESC, id DESC)`.execute(db);
  // Deliveries still to make: what the reconciler walks (by id) and checks against the queue.
  await sql`CREATE INDEX notifications_pending_idx ON notifications (id) WHERE status = 'pending'`.execute(db);
  // Retention deletes by age.
  await sql`CREATE INDEX notifications_created_idx ON notifications (created_at)`.execute(db);
  // Re-drive: a user's (or everyone's) failed one-off tasks by when their last attempt ran.
  await sql`CREATE INDEX tasks_failed_user_idx ON tasks (user_id, last_run_at, id) WHERE status = 'failed' AND cron IS NULL`.execute(db);
  await sql`CREATE INDEX tasks_failed_idx ON tasks (last_run_at, id) WHERE status = 'failed' AND cron IS NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX tasks_failed_idx`.execute(db);
  await sql`DROP INDEX tasks_failed_user_idx`.execute(db);
  await sql`DROP TABLE notifications`.execute(db);
  await sql`ALTER TABLE tasks DROP COLUMN failure_alerted`.execute(db);
  await sql`ALTER TABLE tasks DROP COLUMN consecutive_failures`.execute(db);
  await sql`ALTER TABLE tasks DROP COLUMN callbacks`.execute(db);
}
