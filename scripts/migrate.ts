// `pnpm migrate`: brings the database schema up to date; one line per outcome, no stack trace for the failures an
// operator can fix. An entry point, so it lives here rather than in @punctual/db (a library never exits a process).
import { ConfigError, readConfig } from '@punctual/config';
import { migrateToLatest, PostgresUnavailableError } from '@punctual/db';

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
