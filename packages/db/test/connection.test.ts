import {
  assertPostgresReachable,
  createDatabase,
  executePrepared,
  postgresAnswers,
  PostgresUnavailableError,
  preparedStatement,
} from '@punctual/db';
import { sql } from 'kysely';
import { freePort, startSilentServer, useTestEnvironment } from '@punctual/testing';
import { describe, expect, it } from 'vitest';

const env = useTestEnvironment();

describe('the Postgres reachability probes (start-up check and test fixtures)', () => {
  it('answer true against a Postgres that answers', async () => {
    expect(await postgresAnswers(env().databaseUrl)).toBe(true);
    await expect(assertPostgresReachable(env().databaseUrl)).resolves.toBeUndefined();
  });

  it('name the reason and the variable, without credentials, when nothing listens', async () => {
    const url = `postgres://postgres:hunter2@127.0.0.1:${await freePort()}/punctual`;
    expect(await postgresAnswers(url)).toBe(false);
    const error = await assertPostgresReachable(url).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PostgresUnavailableError);
    expect((error as Error).message).toMatch(/^Postgres is not answering at 127\.0\.0\.1:\d+ \(DATABASE_URL\): .*ECONNREFUSED/);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('give up at their bound when the server accepts the connection and never answers', async () => {
    const silent = await startSilentServer();
    try {
      const started = performance.now();
      expect(await postgresAnswers(`postgres://postgres@127.0.0.1:${silent.port}/punctual`, 300)).toBe(false);
      expect(performance.now() - started).toBeLessThan(4_000);
    } finally {
      await silent.close();
    }
  });
});

describe('executePrepared', () => {
  it('runs a named statement, parsed once per connection and then only executed', async () => {
    const db = createDatabase(env().databaseUrl, { maxConnections: 1 });
    try {
      const doubled = preparedStatement('test_prepared_double', 'SELECT ($1::int * 2) AS n');
      expect(await executePrepared<{ n: number }>(db, doubled, [21])).toEqual([{ n: 42 }]);
      expect(await executePrepared<{ n: number }>(db, doubled, [5])).toEqual([{ n: 10 }]);
      const prepared = await sql<{ name: string }>`SELECT name FROM pg_prepared_statements`.execute(db);
      expect(prepared.rows.map((row) => row.name)).toContain('test_prepared_double');
    } finally {
      await db.destroy();
    }
  });

  it('plans a named statement once per connection (generic plan), whatever its values', async () => {
    const db = createDatabase(env().databaseUrl, { maxConnections: 1 });
    try {
      const lengths = preparedStatement('test_prepared_generic', 'SELECT count(*)::int AS n FROM unnest($1::int[])');
      for (const length of [1, 3, 7, 12, 50, 2, 9, 30]) {
        expect(await executePrepared<{ n: number }>(db, lengths, [Array.from({ length }, (_, index) => index)])).toEqual([{ n: length }]);
      }
      const plans = await sql<{ generic_plans: string; custom_plans: string }>`
        SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'test_prepared_generic'`.execute(db);
      expect(plans.rows).toEqual([{ generic_plans: '8', custom_plans: '0' }]);
    } finally {
      await db.destroy();
    }
  });

  it('refuses a Kysely instance it did not make', async () => {
    const db = createDatabase(env().databaseUrl);
    const other = db.withoutPlugins();
    try {
      await expect(executePrepared(other, preparedStatement('test_prepared_other', 'SELECT 1'), [])).rejects.toThrow(/createDatabase/);
    } finally {
      await db.destroy();
    }
  });
});
