import { randomUUID } from 'node:crypto';
import type { QueueBackendName } from '@punctual/config';
import { createDatabase, type Database, type Kysely } from '@punctual/db';
import { createQueueBackend, type QueueBackend, type QueueBackendOptions } from '@punctual/queue';
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
  /** The queue backend of this environment (QUEUE_BACKEND of the test run unless the file asks for one). */
  queueBackend: QueueBackendName;
  /** A queue backend over this environment (a worker's with `blocking`); the caller closes it. */
  createQueueBackend(
    options?: Partial<Pick<QueueBackendOptions, 'backend' | 'blocking' | 'redisUrl' | 'databaseUrl'>>,
  ): Promise<QueueBackend>;
  db: Kysely<Database>;
  /** Environment variables that point a Punctual process at this database, queue backend, Redis and prefix. */
  processEnv: Record<string, string>;
  /** Closes the pool, drops the database and deletes the prefix's Redis keys. */
  cleanup(): Promise<void>;
}

/** The queue backend tests use unless they name one: QUEUE_BACKEND of the test run (`redis` by default). */
export function defaultQueueBackend(): QueueBackendName {
  return process.env.QUEUE_BACKEND === 'postgres' ? 'postgres' : 'redis';
}

/**
 * A private database and queue prefix for one test file. Call in `beforeAll`, clean up in `afterAll`.
 * With the Postgres queue backend, BullMQ's schema lives in that database too, so dropping it cleans up the queue.
 */
export async function createTestEnvironment(options: { queueBackend?: QueueBackendName } = {}): Promise<TestEnvironment> {
  const queueBackend = options.queueBackend ?? defaultQueueBackend();
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
    queueBackend,
    db,
    createQueueBackend: (overrides = {}) =>
      createQueueBackend({ backend: queueBackend, redisUrl, databaseUrl, prefix: queuePrefix, ...overrides }),
    processEnv: {
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: queuePrefix,
      QUEUE_BACKEND: queueBackend,
      // Tests register and create at machine speed from one address; the limits' own tests set small ones.
      RATE_LIMIT_MAX: '1000000',
      AUTH_RATE_LIMIT_MAX: '1000000',
    },
    async cleanup() {
      await db.destroy();
      await withAdminClient(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      if (queueBackend === 'redis') await deleteRedisKeys(redisUrl, `${queuePrefix}:*`);
    },
  };
}

function withAdminClient<T>(serverUrl: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  return withPostgresClient(withDatabase(serverUrl, 'postgres'), use);
}
