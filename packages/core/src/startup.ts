import { ConfigError, readConfig, type Config } from '@punctual/config';
import { assertPostgresReachable, PostgresUnavailableError } from '@punctual/db';
import { assertQueueReachable, RedisUnavailableError } from '@punctual/queue';

/**
 * What every Punctual process does first: read the configuration and check that Postgres and the queue's store
 * (Redis, unless QUEUE_BACKEND=postgres) answer.
 * Throws what `isStartupProblem` recognises when an operator can fix it; the entry point decides how to exit.
 */
export async function readStartupConfig(): Promise<Config> {
  const config = readConfig();
  await assertPostgresReachable(config.databaseUrl);
  await assertQueueReachable({ backend: config.queueBackend, redisUrl: config.redisUrl });
  return config;
}

/** An invalid variable or a server that does not answer: its message is the whole story, no stack trace needed. */
export function isStartupProblem(error: unknown): error is Error {
  return error instanceof ConfigError || error instanceof PostgresUnavailableError || error instanceof RedisUnavailableError;
}
