import { createPostgresBackend, quoteSchemaName, Queue, Worker, type PostgresPoolConfig, type Telemetry } from 'bullmq';
import pg from 'pg';
import { TASKS_QUEUE, TASKS_RETENTION } from './jobs.js';
import { createPostgresLeaderLock } from './postgres-leader-lock.js';
import { migrateQueueSchema } from './postgres-queue-schema.js';
import type { QueueBackend } from './queue-backend.js';
import { createPostgresRateLimitCounter, type RateLimitCounter } from './rate-limit-counter.js';
import { createTaskQueue, type JobStates } from './task-queue.js';

/** How long a rate-limit count may take before the request is served uncounted: a slow Postgres must not hold requests up. */
const RATE_LIMIT_QUERY_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * BullMQ's PostgreSQL backend on the database of DATABASE_URL, its tables in the schema `queueSchemaName(prefix)`.
 * BullMQ's own migrations run first (a no-op read when current): the schema belongs to the prefix, so a process started
 * with a new prefix (a new deployment, a test file) needs no separate step, and BullMQ would otherwise stay unready for
 * good. Besides BullMQ's pools: a small pool of ours for the missing-job check and health, one with a short query
 * timeout for the rate limits (made when first used), and a session per leader lock.
 */
export async function createPostgresQueueBackend(options: {
  databaseUrl: string;
  prefix: string;
  telemetry?: Telemetry | undefined;
}): Promise<QueueBackend> {
  const { databaseUrl, prefix } = options;
  const { schema } = await migrateQueueSchema(databaseUrl, prefix);
  const bullConnection = (max: number): PostgresPoolConfig => ({
    connectionString: databaseUrl,
    schema,
    max,
    application_name: 'punctual-bullmq',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  const pool = ownPool({ connectionString: databaseUrl, max: 3, application_name: 'punctual-queue' });
  const pools: pg.Pool[] = [pool];
  const queue = new Queue(TASKS_QUEUE, { connection: bullConnection(5), telemetry: options.telemetry }, createPostgresBackend);
  const tasks = createTaskQueue(queue, postgresJobStates(pool, schema));
  let rateLimits: RateLimitCounter | undefined;

  return {
    name: 'postgres',
    tasks,
    get rateLimits() {
      if (!rateLimits) {
        const rateLimitPool = ownPool({
          connectionString: databaseUrl,
          max: 5,
          application_name: 'punctual-rate-limit',
          query_timeout: RATE_LIMIT_QUERY_TIMEOUT_MS,
          connectionTimeoutMillis: RATE_LIMIT_QUERY_TIMEOUT_MS,
        });
        pools.push(rateLimitPool);
        rateLimits = createPostgresRateLimitCounter(rateLimitPool, prefix);
      }
      return rateLimits;
    },
    createWorker(processor, { concurrency, autorun = true }) {
      // The worker's jobs are fetched and finished through its own pool; waiting for jobs uses a LISTEN session besides.
      return new Worker(
        TASKS_QUEUE,
        processor,
        { ...TASKS_RETENTION, connection: bullConnection(Math.min(10, concurrency + 1)), concurrency, autorun },
        createPostgresBackend,
      );
    },
    createLeaderLock(name) {
      return createPostgresLeaderLock(databaseUrl, { key: `${prefix}:${name}` });
    },
    async ping() {
      await pool.query(`SELECT 1 FROM ${quoteSchemaName(schema)}.migration LIMIT 1`);
    },
    waitUntilReady: async () => true,
    warnings: async () => [],
    async close() {
      await tasks.close();
      await Promise.all(pools.map((each) => each.end().catch(() => {})));
    },
  };
}

function ownPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool({ connectionTimeoutMillis: CONNECT_TIMEOUT_MS, ...config });
  // A client that loses its server emits 'error' (on the pool while idle, on itself while checked out); without a
  // listener that would crash the process. The query in progress, if any, fails as it should.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** One query over BullMQ's job table for the whole batch (its primary key is (queue, id)). */
function postgresJobStates(pool: pg.Pool, schema: string): JobStates {
  const sql = `SELECT id, state IN ('completed', 'failed') AS finished FROM ${quoteSchemaName(schema)}.job WHERE queue = $1 AND id = ANY($2::text[])`;
  return async (jobIds) => {
    const { rows } = await pool.query<{ id: string; finished: boolean }>(sql, [TASKS_QUEUE, jobIds]);
    return new Map(rows.map((row) => [row.id, row.finished ? 'finished' : 'live']));
  };
}
