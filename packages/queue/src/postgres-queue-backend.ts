import { createPostgresAttemptSlots, type AttemptSlots } from './attempt-slots.js';
import { createPostgresBackend, quoteSchemaName, Queue, Worker, type KeepJobs, type PostgresPoolConfig, type Telemetry } from 'bullmq';
import pg from 'pg';
import { NOTIFICATIONS_QUEUE, NOTIFICATIONS_RETENTION, NOTIFICATIONS_WORKER_SETTINGS, TASKS_QUEUE, TASKS_RETENTION } from './jobs.js';
import { createNotificationQueue } from './notification-queue.js';
import { createPostgresLeaderLock } from './postgres-leader-lock.js';
import { migrateQueueSchema } from './postgres-queue-schema.js';
import type { QueueBackend } from './queue-backend.js';
import { createPostgresRateLimitCounter, type RateLimitCounter } from './rate-limit-counter.js';
import { createTaskQueue, type JobStates } from './task-queue.js';

/** How long a rate-limit count may take before the request is served uncounted: a slow Postgres must not hold requests up. */
const RATE_LIMIT_QUERY_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * BullMQ's sessions commit without waiting for the WAL flush (`synchronous_commit=off`, per session). The queue is
 * not the source of truth (our tables are, as with Redis): a crash may lose the last few hundred ms of queue commits,
 * which the reconciler and the version fence cover exactly as they cover Redis losing writes. And a queue commit is
 * never lost behind a durable commit of ours that follows it: the WAL is one sequence, and our commit's flush covers
 * everything before it (a job fetched from the queue, then claimed in `tasks`, is durable with that claim). What it
 * saves is a WAL flush awaited per job transition, on the attempt path (fetch, finish) and on the API's enqueue after
 * its own commit: a lone delayed task waited for two flushes before its call, now one.
 */
const QUEUE_SESSION_OPTIONS = '-c synchronous_commit=off';

/**
 * Completed jobs are removed (Postgres has the log). BullMQ's PostgreSQL backend reads `true` as "delete this job":
 * one row, by its key. The `{ count: 0 }` the Redis worker is given (WorkerOptions' type allows only that form; this
 * backend takes a boolean, as a job's own option may be one) is here a DELETE of all the queue's completed rows but
 * none, replanned on every finish, whose row locks every finishing worker contends for: the same outcome at ~2.5 times
 * the cost (apply_retention 0.40 → 0.15 ms a job in pg_stat_statements).
 */
const REMOVE_COMPLETED_JOB = true as unknown as KeepJobs;

/**
 * Connections of a worker's own pool, over which it fetches and finishes its jobs (one fused statement per job), at
 * most. Each finish-and-fetch is ~1 ms of work in Postgres, so a few connections carry a worker at thousands of jobs
 * a second; more only run more of them at once, contending for the queue's index pages, its row locks (a claim skips
 * the rows the others are claiming) and the CPUs: with 10 (concurrency + 1, capped at 10, as before), 50 jobs in flight
 * cost ~15 % more Postgres CPU per job than with 4 (0.91 against 0.79 ms), for no more jobs a second (scratch drains
 * on the embedded Postgres, five interleaved pairs). Its LISTEN session for waiting on jobs is besides.
 */
const WORKER_CONNECTIONS = 4;

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
    options: QUEUE_SESSION_OPTIONS,
  });
  const pool = ownPool({ connectionString: databaseUrl, max: 3, application_name: 'punctual-queue' });
  const pools: pg.Pool[] = [pool];
  const queue = new Queue(TASKS_QUEUE, { connection: bullConnection(5), telemetry: options.telemetry }, createPostgresBackend);
  const tasks = createTaskQueue(queue, postgresJobStates(pool, schema, TASKS_QUEUE));
  const notifications = createNotificationQueue(
    new Queue(NOTIFICATIONS_QUEUE, { connection: bullConnection(2) }, createPostgresBackend),
    postgresJobStates(pool, schema, NOTIFICATIONS_QUEUE),
  );
  let rateLimits: RateLimitCounter | undefined;
  let attemptSlots: AttemptSlots | undefined;

  return {
    name: 'postgres',
    tasks,
    notifications,
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
    get attemptSlots() {
      if (!attemptSlots) {
        // A pool of its own: every attempt asks for its slots and gives them back, next to the worker's job traffic.
        const slotPool = ownPool({ connectionString: databaseUrl, max: 4, application_name: 'punctual-attempt-slots' });
        pools.push(slotPool);
        attemptSlots = createPostgresAttemptSlots(slotPool, prefix);
      }
      return attemptSlots;
    },
    createWorker(processor, { concurrency, autorun = true }) {
      // The worker's jobs are fetched and finished through its own pool; waiting for jobs uses a LISTEN session besides.
      return new Worker(
        TASKS_QUEUE,
        processor,
        {
          ...TASKS_RETENTION,
          removeOnComplete: REMOVE_COMPLETED_JOB,
          connection: bullConnection(Math.min(WORKER_CONNECTIONS, concurrency + 1)),
          concurrency,
          autorun,
        },
        createPostgresBackend,
      );
    },
    createNotificationWorker(processor, { concurrency, autorun = true }) {
      return new Worker(
        NOTIFICATIONS_QUEUE,
        processor,
        {
          ...NOTIFICATIONS_RETENTION,
          removeOnComplete: REMOVE_COMPLETED_JOB,
          settings: NOTIFICATIONS_WORKER_SETTINGS,
          // Deliveries are few next to attempts: two connections carry them.
          connection: bullConnection(2),
          concurrency,
          autorun,
        },
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
      await Promise.all([tasks.close(), notifications.close()]);
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
function postgresJobStates(pool: pg.Pool, schema: string, queueName: string): JobStates {
  const sql = `SELECT id, state IN ('completed', 'failed') AS finished FROM ${quoteSchemaName(schema)}.job WHERE queue = $1 AND id = ANY($2::text[])`;
  return async (jobIds) => {
    const { rows } = await pool.query<{ id: string; finished: boolean }>(sql, [queueName, jobIds]);
    return new Map(rows.map((row) => [row.id, row.finished ? 'finished' : 'live']));
  };
}
