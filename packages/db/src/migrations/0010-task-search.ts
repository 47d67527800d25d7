import { type Kysely, sql } from 'kysely';

/**
 * `?q=`'s trigram index off `tasks`. Each attempt updates its task row twice (claim, record), and an update that is
 * not HOT inserts into every index of the table: into `tasks_search_trgm_idx` too, extracting the trigrams of the
 * name, description and URL again each time. `task_search` holds that text once per task, with the task's owner and
 * creation time, and the GIN index over it; the attempts never set name, description or URL, so they never touch it.
 *
 * Kept by triggers on `tasks` as `task_tags` is (migration 0008): a statement trigger per INSERT and per DELETE, and a
 * row trigger only when an UPDATE sets the name, description or URL (an edit) to something else. No foreign key (its
 * check would lock the new task row); the delete trigger removes a task's row instead, through the
 * `(created_at, task_id)` index, which new rows append to.
 *
 * The statistics on the text's trigrams (`show_trgm`, sampled by ANALYZE) say which trigrams are in more than a few
 * rows: listTasks asks the index only for a pattern's rarer trigrams (a GIN scan walks the posting list of every
 * trigram it is asked for, and `task 1234` over a million tasks named `million task N` costs ~50 ms for `tas`, `ask`
 * and `sk ` alone, against ~1 ms for `123` and `234`), and matches the whole pattern on the candidates.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE task_search (
      task_id uuid NOT NULL,
      user_id uuid NOT NULL,
      created_at timestamptz NOT NULL,
      body text NOT NULL
    )`.execute(db);
  await sql`
    INSERT INTO task_search (task_id, user_id, created_at, body)
    SELECT id, user_id, created_at, name || ' ' || coalesce(description, '') || ' ' || url FROM tasks`.execute(db);
  await sql`CREATE INDEX task_search_created_idx ON task_search (created_at, task_id)`.execute(db);
  await sql`CREATE INDEX task_search_trgm_idx ON task_search USING gin (body gin_trgm_ops)`.execute(db);
  await sql`CREATE STATISTICS task_search_trigram_stats ON (show_trgm(body)) FROM task_search`.execute(db);
  await sql`DROP INDEX tasks_search_trgm_idx`.execute(db);

  await sql`
    CREATE FUNCTION task_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO task_search (task_id, user_id, created_at, body)
      SELECT t.id, t.user_id, t.created_at, t.name || ' ' || coalesce(t.description, '') || ' ' || t.url FROM inserted_tasks t;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER tasks_search_insert AFTER INSERT ON tasks REFERENCING NEW TABLE AS inserted_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION task_search_insert()`.execute(db);

  await sql`
    CREATE FUNCTION task_search_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM task_search s USING deleted_tasks t WHERE s.created_at = t.created_at AND s.task_id = t.id;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER tasks_search_delete AFTER DELETE ON tasks REFERENCING OLD TABLE AS deleted_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION task_search_delete()`.execute(db);

  await sql`
    CREATE FUNCTION task_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE task_search
         SET task_id = NEW.id, user_id = NEW.user_id, created_at = NEW.created_at,
             body = NEW.name || ' ' || coalesce(NEW.description, '') || ' ' || NEW.url
       WHERE created_at = OLD.created_at AND task_id = OLD.id;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER tasks_search_update AFTER UPDATE OF name, description, url, user_id, created_at, id ON tasks FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.description IS DISTINCT FROM NEW.description
          OR OLD.url IS DISTINCT FROM NEW.url OR OLD.user_id IS DISTINCT FROM NEW.user_id
          OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION task_search_update()`.execute(db);

  await sql`
    CREATE FUNCTION task_search_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      TRUNCATE task_search;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER tasks_search_truncate AFTER TRUNCATE ON tasks FOR EACH STATEMENT EXECUTE FUNCTION task_search_truncate()`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER tasks_search_truncate ON tasks`.execute(db);
  await sql`DROP TRIGGER tasks_search_update ON tasks`.execute(db);
  await sql`DROP TRIGGER tasks_search_delete ON tasks`.execute(db);
  await sql`DROP TRIGGER tasks_search_insert ON tasks`.execute(db);
  await sql`DROP FUNCTION task_search_truncate(), task_search_update(), task_search_delete(), task_search_insert()`.execute(db);
  await sql`
    CREATE INDEX tasks_search_trgm_idx ON tasks
    USING gin ((name || ' ' || coalesce(description, '') || ' ' || url) gin_trgm_ops)`.execute(db);
  await sql`DROP TABLE task_search`.execute(db);
}
