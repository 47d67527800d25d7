import { type Kysely, sql } from 'kysely';

/**
 * The task quota without counting a user's live tasks on every create: `task_quota_bounds.live_at_most` is a number
 * the user's live tasks never exceed (an upper bound, exact right after a count). A create far enough below the quota
 * only locks the user's row and compares (`live_at_most + n <= MAX_TASKS_PER_USER`); the triggers below add every task
 * that becomes live, whoever writes it. Tasks that finish or are deleted leave it unchanged (the worker writes nothing
 * more), so the bound only grows: when it reaches the quota, the next create counts the live tasks under the row's lock
 * and sets it back to the exact figure. A user without a row is counted on the next create, which makes the row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE task_quota_bounds (
      user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
      live_at_most bigint
    )`.execute(db);
  // Rows inserted live (every create), counted once per statement and user: a batched create updates each row once.
  await sql`
    CREATE FUNCTION task_quota_bounds_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE task_quota_bounds b SET live_at_most = b.live_at_most + added.n
      FROM (SELECT user_id, count(*) AS n FROM inserted_tasks
            WHERE status NOT IN ('completed', 'failed', 'cancelled') GROUP BY user_id) added
      WHERE b.user_id = added.user_id;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER tasks_quota_bounds_insert AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS inserted_tasks FOR EACH STATEMENT EXECUTE FUNCTION task_quota_bounds_count_inserted()`.execute(db);
  // A finished task brought back to life (retry, run): the WHEN clause keeps every other update (the worker's) free.
  await sql`
    CREATE FUNCTION task_quota_bounds_count_revived() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE task_quota_bounds SET live_at_most = live_at_most + 1 WHERE user_id = NEW.user_id;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER tasks_quota_bounds_revive AFTER UPDATE OF status ON tasks FOR EACH ROW
    WHEN (OLD.status IN ('completed', 'failed', 'cancelled') AND NEW.status NOT IN ('completed', 'failed', 'cancelled'))
    EXECUTE FUNCTION task_quota_bounds_count_revived()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER tasks_quota_bounds_revive ON tasks`.execute(db);
  await sql`DROP TRIGGER tasks_quota_bounds_insert ON tasks`.execute(db);
  await sql`DROP FUNCTION task_quota_bounds_count_revived()`.execute(db);
  await sql`DROP FUNCTION task_quota_bounds_count_inserted()`.execute(db);
  await sql`DROP TABLE task_quota_bounds`.execute(db);
}
