import { ConfigError, readConfig } from '@punctual/config';
import { PostgresUnavailableError } from './connection.js';
import { migrateToLatest } from './migrate.js';

// `pnpm migrate`: one line per outcome, no stack trace for the failures an operator can fix.
try {
  const config = readConfig();
  const { results = [] } = await migrateToLatest(config.databaseUrl);
  for (const result of results) console.log(`migration ${result.migrationName}: ${result.status}`);
  console.log(results.length === 0 ? 'database schema is up to date' : `applied ${results.length} migration(s)`);
} catch (error) {
  if (error instanceof ConfigError || error instanceof PostgresUnavailableError) {
    console.error(error.message);
  } else {
    console.error('migration failed:', error);
  }
  process.exitCode = 1;
}
