import pg from 'pg';
import type { LeaderLock } from './leader-lock.js';

/** The first key of our advisory locks ("PUNC"), so they never meet another application's (or BullMQ's) single-key locks. */
const LOCK_CLASS = 0x50554e43;

/**
 * The Postgres lock: `pg_try_advisory_lock` on a session of its own. Postgres holds it as long as that session lives,
 * so a holder that dies (or loses its connection) loses the lock at once; each `acquire` checks the session still
 * answers, so a holder that lost it knows it within one call.
 */
export function createPostgresLeaderLock(databaseUrl: string, options: { key: string; connectTimeoutMs?: number }): LeaderLock {
  let session: pg.Client | null = null;
  let held = false;

  const drop = (client: pg.Client): void => {
    if (session !== client) return;
    session = null;
    held = false;
    void client.end().catch(() => {});
  };
  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client({
      connectionString: databaseUrl,
      application_name: 'punctual-leader-lock',
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      keepAlive: true,
    });
    // A lost connection is a lost lock; the 'error' must not crash the process.
    client.on('error', () => drop(client));
    client.on('end', () => drop(client));
    await client.connect();
    session = client;
    return client;
  };

  return {
    async acquire() {
      const client = session ?? (await connect());
      try {
        if (held) {
          await client.query('SELECT 1');
          return true;
        }
        const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [
          LOCK_CLASS,
          options.key,
        ]);
        held = rows[0]?.locked === true;
        return held;
      } catch (error) {
        drop(client);
        throw error;
      }
    },
    async release() {
      const client = session;
      if (!client) return;
      held = false;
      session = null;
      // Ending the session releases every advisory lock it holds.
      await client.end().catch(() => {});
    },
  };
}
