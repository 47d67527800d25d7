import { type Kysely, sql } from 'kysely';

/**
 * `?tag=` pages from an index in list order. A btree cannot index the elements of an array, and the GIN index over
 * `tags` answers "which tasks have this tag" in no order: a page newest first then either sorted every match (100,000
 * of them for a common tag) or walked the user's tasks newest first until 20 matched (all of them for a rare tag).
 * `task_tags` holds one row per (task, tag) with the task's owner and creation time, so a page is a range of
 * `(user_id, tag, created_at DESC, task_id DESC)` joined to its 20 tasks, and a count a range of the same index.
 *
 * Kept by triggers on `tasks`, in the statement that changes the task: a statement-level trigger per INSERT or DELETE
 * (one INSERT … SELECT for a batch of creates), and a row trigger only when an UPDATE sets `tags` (an edit; the
 * worker's updates never do). No foreign key: its check on every insert would lock the new task row; the delete trigger
 * removes a task's tags instead. Replaces the GIN index, whose upkeep on each create it saves.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE task_tags (
      task_id uuid NOT NULL,
      tag text NOT NULL,
      user_id uuid NOT NULL,
      created_at timestamptz NOT NULL
    )`.execute(db);
  await sql`
    INSERT INTO task_tags (task_id, tag, user_id, created_at)
    SELECT DISTINCT t.id, tag, t.user_id, t.created_at FROM tasks t, unnest(t.tags) AS tag`.execute(db);
  // A user's tasks with a tag, newest or oldest first; the same across users for an admin, which also finds the rows
  // of a deleted or edited task (from its tags, created_at and id). No primary key: one more index on a random uuid,
  // which cost about as much as these two together on each create; the triggers write each (task, tag) once.
  await sql`CREATE INDEX task_tags_user_tag_created_idx ON task_tags (user_id, tag, created_at DESC, task_id DESC)`.execute(db);
  await sql`CREATE INDEX task_tags_tag_created_idx ON task_tags (tag, created_at DESC, task_id DESC)`.execute(db);
  await sql`DROP INDEX tasks_tags_idx`.execute(db);

  // A list's total beyond the exact-count cap is the planner's estimate: statistics over the pairs a filter combines,
  // since a user's tags and statuses are far from independent of who the user is.
  await sql`CREATE STATISTICS task_tags_user_tag_stats (mcv) ON user_id, tag FROM task_tags`.execute(db);
  await sql`CREATE STATISTICS tasks_user_status_stats (mcv) ON user_id, status FROM tasks`.execute(db);

  await sql`
    CREATE FUNCTION task_tags_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO task_tags (task_id, tag, user_id, created_at)
      SELECT DISTINCT t.id, tag, t.user_id, t.created_at FROM inserted_tasks t, unnest(t.tags) AS tag;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER tasks_tags_insert AFTER INSERT ON tasks REFERENCING NEW TABLE AS inserted_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION task_tags_insert()`.execute(db);

  await sql`
    CREATE FUNCTION task_tags_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM task_tags tt USING deleted_tasks t, unnest(t.tags) AS deleted(tag)
       WHERE tt.tag = deleted.tag AND tt.created_at = t.created_at AND tt.task_id = t.id;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER tasks_tags_delete AFTER DELETE ON tasks REFERENCING OLD TABLE AS deleted_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION task_tags_delete()`.execute(db);

  // Transition tables cannot go with a column list, so an edit is a row trigger, fired only when the row's tags,
  // owner or creation time are set to something else.
  await sql`
    CREATE FUNCTION task_tags_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM task_tags WHERE tag = ANY (OLD.tags) AND created_at = OLD.created_at AND task_id = OLD.id;
      INSERT INTO task_tags (task_id, tag, user_id, created_at)
      SELECT DISTINCT NEW.id, tag, NEW.user_id, NEW.created_at FROM unnest(NEW.tags) AS tag;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER tasks_tags_update AFTER UPDATE OF tags, user_id, created_at, id ON tasks FOR EACH ROW
    WHEN (OLD.tags IS DISTINCT FROM NEW.tags OR OLD.user_id IS DISTINCT FROM NEW.user_id
          OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION task_tags_update()`.execute(db);

  await sql`
    CREATE FUNCTION task_tags_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      TRUNCATE task_tags;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER tasks_tags_truncate AFTER TRUNCATE ON tasks FOR EACH STATEMENT EXECUTE FUNCTION task_tags_truncate()`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER tasks_tags_truncate ON tasks`.execute(db);
  await sql`DROP TRIGGER tasks_tags_update ON tasks`.execute(db);
  await sql`DROP TRIGGER tasks_tags_delete ON tasks`.execute(db);
  await sql`DROP TRIGGER tasks_tags_insert ON tasks`.execute(db);
  await sql`DROP FUNCTION task_tags_truncate(), task_tags_update(), task_tags_delete(), task_tags_insert()`.execute(db);
  await sql`DROP STATISTICS tasks_user_status_stats`.execute(db);
  await sql`CREATE INDEX tasks_tags_idx ON tasks USING gin (tags)`.execute(db);
  await sql`DROP TABLE task_tags`.execute(db);
}
