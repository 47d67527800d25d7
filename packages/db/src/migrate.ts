import { Migrator, type MigrationResultSet } from 'kysely/migration';
import pg from 'pg';
import { createDatabase, PostgresUnavailableError } from './connection.js';
import { migrations } from './migrations/index.js';

/** Creates the database named in the URL when it does not exist (connecting to the server's `postgres` database). */
async function ensureDatabaseExists(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) return;
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new PostgresUnavailableError(databaseUrl, error);
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
        // Another process created it first: 42P04, or 23505 when both inserted into pg_database at once.
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Brings the schema up to date: idempotent, ordered, and safe to run from several processes at once
 * (Kysely's migrator takes a lock).
 */
export async function migrateToLatest(databaseUrl: string): Promise<MigrationResultSet> {
  await ensureDatabaseExists(databaseUrl);
  const db = createDatabase(databaseUrl, { maxConnections: 1, applicationName: 'punctual-migrate' });
  try {
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const result = await migrator.migrateToLatest();
    if (result.error) throw result.error instanceof Error ? result.error : new Error(`migration failed: ${JSON.stringify(result.error)}`);
    return result;
  } finally {
    await db.destroy();
  }
}
