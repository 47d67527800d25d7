import { migrateToLatest, migrations } from '@punctual/db';
import { withDatabase, useTestEnvironment } from '@punctual/testing';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

const env = useTestEnvironment();

describe('migrations', () => {
  it('creates users, tasks and task_logs in the template every test database is cloned from', async () => {
    const tables = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`.execute(env().db);
    expect(tables.rows.map((row) => row.table_name)).toEqual(
      expect.arrayContaining(['kysely_migration', 'kysely_migration_lock', 'task_logs', 'tasks', 'users']),
    );
  });

  it('is idempotent: running again applies nothing', async () => {
    const result = await migrateToLatest(env().databaseUrl);
    expect(result.results).toEqual([]);
  });

  it('creates the database named in the URL when it does not exist, even when two processes race', async () => {
    const name = `punctual_created_${Date.now()}`;
    const url = withDatabase(env().databaseUrl, name);
    try {
      const results = await Promise.all([migrateToLatest(url), migrateToLatest(url)]);
      const applied = results.flatMap((result) => result.results ?? []).filter((r) => r.status === 'Success');
      expect(applied.map((r) => r.migrationName)).toEqual(Object.keys(migrations));
    } finally {
      const admin = new pg.Client({ connectionString: withDatabase(env().databaseUrl, 'postgres') });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
