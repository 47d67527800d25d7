import { type Kysely, sql } from 'kysely';

/**
 * Delivery and schedule policies (issue 12), each a task column read at each attempt: `success_codes` and `retry_on`
 * (null: the defaults, 2xx and every failure), `flow_control` (null: none), `misfire` (recurring tasks' missed
 * occurrences) and `template` (placeholders filled at each attempt). Defaults keep every existing task as it was.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE tasks ADD COLUMN success_codes jsonb`.execute(db);
  await sql`ALTER TABLE tasks ADD COLUMN retry_on jsonb`.execute(db);
  await sql`ALTER TABLE tasks ADD COLUMN flow_control jsonb`.execute(db);
  await sql`ALTER TABLE tasks ADD COLUMN misfire text NOT NULL DEFAULT 'once' CHECK (misfire IN ('once', 'skip', 'all'))`.execute(db);
  await sql`ALTER TABLE tasks ADD COLUMN template boolean NOT NULL DEFAULT false`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['template', 'misfire', 'flow_control', 'retry_on', 'success_codes']) {
    await sql`ALTER TABLE tasks DROP COLUMN ${sql.id(column)}`.execute(db);
  }
}
