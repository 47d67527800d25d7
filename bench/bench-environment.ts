import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes, randomUUID } from 'node:crypto';
import { deleteRedisKeys, runMigrate, TEST_JWT_SECRET, withDatabase, withPostgresClient } from '@punctual/testing';
import { postgresAnswers } from '@punctual/db';
import { redisAnswers } from '@punctual/queue';
import pg from 'pg';

/** The bench's own database and queue prefix on the local servers, removed by `cleanup()`. */
export interface BenchEnvironment {
  databaseUrl: string;
  queuePrefix: string;
  /** For setup and checks; the processes under test have their own pools. */
  pool: pg.Pool;
  adminEmail: string;
  adminPassword: string;
  /** What the API and worker processes are started with. */
  processEnv: Record<string, string>;
  /** Closes the pool, drops the database and deletes the prefix's Redis keys. */
  cleanup(): Promise<void>;
}

const created: { database: string; queuePrefix: string; redisUrl: string }[] = [];

/** Every database and queue prefix this process created, removed or not: what the smoke test checks are gone. */
export function benchEnvironmentsCreated(): readonly { database: string; queuePrefix: string; redisUrl: string }[] {
  return created;
}

/**
 * Creates `punctual_bench_<random>` on the server of `databaseUrl`, migrates it with `pnpm migrate`'s entry point and
 * picks a fresh BullMQ prefix. The vitest fixture (`createTestEnvironment`) needs vitest's globalSetup, hence this.
 */
export async function createBenchEnvironment(options: { databaseUrl: string; redisUrl: string }): Promise<BenchEnvironment> {
  const { redisUrl } = options;
  if (!(await retried(() => postgresAnswers(withDatabase(options.databaseUrl, 'postgres')))))
    throw new Error(`Postgres is not answering at ${options.databaseUrl} (DATABASE_URL)`);
  if (!(await redisAnswers(redisUrl))) throw new Error(`Redis is not answering at ${redisUrl} (REDIS_URL)`);

  const name = `punctual_bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const serverUrl = withDatabase(options.databaseUrl, 'postgres');
  const databaseUrl = withDatabase(options.databaseUrl, name);
  const queuePrefix = `bench-${randomUUID()}`;
  const adminEmail = 'bench-admin@example.com';
  const adminPassword = randomUUID();
  const processEnv = {
    // Production settings, as a deployment would run them (request logging included).
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    JWT_SECRET: TEST_JWT_SECRET,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: queuePrefix,
    ADMIN_EMAIL: adminEmail,
    ADMIN_PASSWORD: adminPassword,
    // The target is a server on 127.0.0.1.
    ALLOW_PRIVATE_TARGETS: 'true',
    // The load comes from one user at one address, far above any per-user rate a deployment would allow.
    RATE_LIMIT_MAX: '10000000',
    AUTH_RATE_LIMIT_MAX: '10000000',
    // For the same reason every task is that user's: USER_CONCURRENCY (fairness between users) would otherwise hold
    // the worker below the WORKER_CONCURRENCY the scenarios measure. The limits' own cost is in the flow-control tests.
    USER_CONCURRENCY: '1000',
  };

  await retried(() => withPostgresClient(serverUrl, (client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`)));
  created.push({ database: name, queuePrefix, redisUrl });
  const dropDatabase = () =>
    retried(() =>
      withPostgresClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`)),
    );
  const migration = await runMigrate(processEnv);
  if (migration.code !== 0) {
    await dropDatabase();
    throw new Error(`migrations failed (exit code ${String(migration.code)}):\n${migration.output}`);
  }

  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, application_name: 'punctual-bench' });
  pool.on('error', () => {});
  return {
    databaseUrl,
    queuePrefix,
    pool,
    adminEmail,
    adminPassword,
    processEnv,
    async cleanup() {
      await pool.end();
      await dropDatabase();
      await deleteRedisKeys(redisUrl, `${queuePrefix}:*`);
    },
  };
}

/**
 * Runs `attempt` until it succeeds (a false answer counts as a failure), for up to a minute: on a Postgres shared with
 * other work, a connection can be refused for a while ("too many clients"), and a database left behind is worse than a
 * slow start or clean-up.
 */
async function retried<T>(attempt: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const result = await attempt();
      if (result !== false || Date.now() > deadline) return result;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await sleep(2_000);
  }
}
