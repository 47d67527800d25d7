import { ConfigError, readConfig, type Config } from '@punctual/config';
import { assertPostgresReachable, PostgresUnavailableError } from '@punctual/db';
import { assertRedisReachable, RedisUnavailableError } from '@punctual/queue';

/**
 * What every Punctual process does first: read the configuration and check that Postgres and Redis answer. A problem
 * an operator can fix (an invalid variable, a server that does not answer) is printed as its own line(s), without a
 * stack trace, and the process exits 1.
 */
export async function readConfigOrExit(): Promise<Config> {
  try {
    const config = readConfig();
    await assertPostgresReachable(config.databaseUrl);
    await assertRedisReachable(config.redisUrl);
    return config;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof PostgresUnavailableError || error instanceof RedisUnavailableError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
