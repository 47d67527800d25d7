// `pnpm secrets:rotate`: run once every process has the new SECRETS_KEY and the old one as SECRETS_KEY_PREVIOUS.
// One line per column, no stack trace for the failures an operator can fix; exit 1 while any value is left unsealed.
// An entry point, so it lives here rather than in @punctual/core (a library never exits a process).
import { readConfig } from '@punctual/config';
import { resealSecrets, secretKeysOf } from '@punctual/core';
import { assertPostgresReachable, createDatabase } from '@punctual/db';
import { runOperatorCommand } from './operator-command.js';

await runOperatorCommand('re-sealing', async () => {
  const config = readConfig();
  await assertPostgresReachable(config.databaseUrl);
  const db = createDatabase(config.databaseUrl, { maxConnections: 2, applicationName: 'punctual-secrets-rotate' });
  try {
    const counts = await resealSecrets(db, secretKeysOf(config));
    let unopened = 0;
    for (const [column, { resealed, failed }] of Object.entries(counts)) {
      console.log(`${column}: ${resealed} re-sealed${failed > 0 ? `, ${failed} open with neither key (left as they are)` : ''}`);
      unopened += failed;
    }
    if (unopened > 0) {
      console.error(`${unopened} value(s) open with neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS: their tasks fail until given again`);
      process.exitCode = 1;
    } else {
      console.log('every secret is sealed under the current SECRETS_KEY: SECRETS_KEY_PREVIOUS may be removed');
    }
  } finally {
    await db.destroy();
  }
});
