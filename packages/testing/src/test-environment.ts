import { randomUUID } from 'node:crypto';
import { createDatabase, type Database, type Kysely } from '@punctual/db';
import type pg from 'pg';
import { inject } from 'vitest';
import './provided-context.js';
import { deleteRedisKeys, withPostgresClient } from './server-admin.js';
import { withDatabase } from './service-probe.js';

export interface TestEnvironment {
  /** URL of this test file's own database, cloned from the migrated template. */
  databaseUrl: string;
  redisUrl: string;
  /** This test file's own BullMQ prefix, so queues of parallel files never meet. */
  queuePrefix: string;
  db: Kysely<Database>;
  /** Environment variables that point a Punctual process at this database, Redis and prefix. */
  processEnv: Record<string, string>;
  /** Closes the pool, drops the database and deletes the prefix's Redis keys. */
  cleanup(): Promise<void>;
}

/**
 * A private database and queue prefix for one test file. Call in `beforeAll`, clean up in `afterAll`.
 */
export async function createTestEnvironment(): Promise<TestEnvironment> {
  const serverUrl = inject('databaseUrl');
  const redisUrl = inject('redisUrl');
  const template = inject('templateDatabase');
  const name = `punctual_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  await withAdminClient(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  const databaseUrl = withDatabase(serverUrl, name);
  const queuePrefix = `test-${randomUUID()}`;
  const db = createDatabase(databaseUrl, { maxConnections: 5, applicationName: 'punctual-test' });
  return {
    databaseUrl,
    redisUrl,
    queuePrefix,
    db,
    processEnv: {
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: queuePrefix,
      // Tests register and create at machine speed from one address; the limits' own tests set small ones.
      RATE_LIMIT_MAX: '1000000',
      AUTH_RATE_LIMIT_MAX: '1000000',
    },
    async cleanup() {
      await db.destroy();
      await withAdminClient(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      await deleteRedisKeys(redisUrl, `${queuePrefix}:*`);
    },
  };
}

function withAdminClient<T>(serverUrl: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  return withPostgresClient(withDatabase(serverUrl, 'postgres'), use);
}
