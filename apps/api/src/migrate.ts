// `pnpm migrate`: brings the database schema up to date; one line per outcome, no stack trace for the failures an
// operator can fix. An entry point, so it lives here rather than in @punctual/db (a library never exits a process).
import { readConfig } from '@punctual/config';
import { migrateToLatest } from '@punctual/db';
import { migrateQueueSchema } from '@punctual/queue';
import { runOperatorCommand } from './operator-command.js';

await runOperatorCommand('migration', async () => {
  const config = readConfig();
  const { results = [] } = await migrateToLatest(config.databaseUrl);
  for (const result of results) console.log(`migration ${result.migrationName}: ${result.status}`);
  console.log(results.length === 0 ? 'database schema is up to date' : `applied ${results.length} migration(s)`);
  if (config.queueBackend === 'postgres') {
    // BullMQ's own schema for the Postgres queue backend (processes also bring it up to date when they connect).
    const queue = await migrateQueueSchema(config.databaseUrl, config.queuePrefix);
    console.log(`queue schema ${queue.schema}: BullMQ schema version ${queue.version}`);
  }
});
