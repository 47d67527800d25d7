import {
  applyRetention,
  IDEMPOTENCY_KEY_TTL_MS,
  recoverLostAttempts,
  repairDeliveries,
  repairQueue,
  type ReconcilerContext,
} from '@punctual/core';
import { createDatabase } from '@punctual/db';
import { createQueueBackend, type QueueBackend, type Redis, type TaskQueue } from '@punctual/queue';
import { startApi } from '@punctual/testing';
import type pg from 'pg';
import { registerUser, type ApiSession } from '../api-session.js';
import { FAR_FUTURE_MS, runLoad, type LoadResult } from '../http-load.js';
import type { Measurement } from '../results-table.js';
import type { Scenario } from '../scenario.js';
import { copiedTaskColumns, createTemplateTask } from '../seed-tasks.js';
import { READY, readExtraOptions } from './extra-options.js';
import { startPrivateRedisStack } from './private-redis-stack.js';

const SCENARIO = 'million';
/** Rows inserted per statement, and jobs added per `enqueueAttempts` (as the API's batches would). */
const ROWS_PER_INSERT = 50_000;
const JOBS_PER_ENQUEUE = 1_000;
const ENQUEUES_IN_FLIGHT = 4;
/** The pending tasks are due from an hour ahead over the next 30 days: none runs during the bench. */
const FIRST_DUE_MS = 3_600_000;
const DUE_SPREAD_MS = 30 * 24 * 3_600_000;
/**
 * The worker's maintenance pass (apps/worker/src/maintenance.ts) with its constants: lost attempts per pass, the
 * repair's batch and batches per pass, the retention's batches, and its look-ahead at the default
 * RECONCILE_INTERVAL_MS. Kept in step by hand: the bench cannot import an app.
 */
const MAINTENANCE = {
  lostAttemptsPerPass: 500,
  repairBatch: 1_000,
  repairMaxBatches: 50,
  retentionBatch: 5_000,
  retentionMaxBatches: 20,
  lookaheadMs: Math.max(60_000, 15_000 * 4),
  logRetentionDays: 30,
} as const;

/**
 * 1,000,000 pending tasks over a few users, due in the next 30 days: rows seeded with SQL (copies of a task the API
 * created), their delayed jobs added through the real TaskQueue in batches, then `VACUUM ANALYZE` as autovacuum would.
 * Measures Redis's `used_memory` per pending task (a private `redis-server`, nothing else in it), reads through the real
 * API (`GET /tasks/:id` and filtered list pages) under modest concurrency, and one maintenance pass run in this process:
 * as the worker runs it (its 60 s look-ahead), and at its full budget (50 batches of 1,000 checked: the most a pass
 * ever does, whatever the backlog), which the 5 s target applies to.
 */
export const MILLION_SCENARIO: Scenario = {
  name: SCENARIO,
  title: '1,000,000 pending tasks: Redis ≤ 1 KiB/task; GET /tasks/:id and list pages p99 ≤ 10 ms; a reconciler pass ≤ 5 s',
  runs: 1,
  async run(context) {
    const { size, teardown } = context;
    const log = (message: string): void => context.log(message);
    const extra = readExtraOptions(size);
    const { redisServer, environment, target, redis } = await startPrivateRedisStack(context);
    const queueBackend = await createQueueBackend({
      backend: 'redis',
      redisUrl: redisServer.url,
      databaseUrl: environment.databaseUrl,
      prefix: environment.queuePrefix,
    });
    teardown.push(() => queueBackend.close());
    const api = await startApi(environment.processEnv, READY);
    teardown.push(() => api.stop());
    const session = await registerUser(api.url);
    const templateId = await createTemplateTask(session, {
      name: 'million template',
      description: 'a pending task among a million',
      url: `${target.url}/ok/million`,
      method: 'POST',
      body: { hello: 'world' },
      scheduledAt: new Date(Date.now() + FAR_FUTURE_MS).toISOString(),
      tags: ['million'],
    });

    const baselineBytes = await usedMemory(redis);
    log(`seeding ${extra.millionTasks} pending tasks over ${extra.millionUsers} users (bounded to ${extra.millionSeedTimeoutSeconds} s)`);
    const seedStarted = Date.now();
    await seedPendingTasks(environment.pool, queueBackend.tasks, {
      templateId,
      ownerId: session.userId,
      users: extra.millionUsers,
      count: extra.millionTasks,
      deadline: seedStarted + extra.millionSeedTimeoutSeconds * 1_000,
      log,
    });
    const seedSeconds = (Date.now() - seedStarted) / 1_000;
    const redisBytes = (await usedMemory(redis)) - baselineBytes;
    const counts = await environment.pool.query<{ pending: number; mine: number }>(
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE user_id = $1)::int AS mine FROM tasks`,
      [session.userId],
    );
    const { pending, mine } = counts.rows[0]!;
    log(`seeded in ${seedSeconds.toFixed(0)} s: ${pending} pending tasks, ${mine} of them the reading user's`);

    const reads = await measureReads(environment.pool, session, extra, log);
    log('one maintenance pass, as the worker runs it and at its full budget');
    const passes = await timeMaintenancePasses(environment.databaseUrl, queueBackend);

    const measurements: Measurement[] = [
      { scenario: SCENARIO, metric: 'seeding (rows, jobs, vacuum)', value: seedSeconds, unit: 's' },
      { scenario: SCENARIO, metric: 'pending tasks', value: pending, unit: '', target: { op: '=', value: extra.millionTasks + 1 } },
      {
        scenario: SCENARIO,
        metric: 'Redis used_memory per pending task',
        value: redisBytes / extra.millionTasks,
        unit: 'B',
        target: { op: '<=', value: 1_024 },
      },
    ];
    for (const read of reads) {
      measurements.push(
        { scenario: SCENARIO, metric: `${read.name} p50`, value: read.load.p50Ms, unit: 'ms' },
        { scenario: SCENARIO, metric: `${read.name} p99`, value: read.load.p99Ms, unit: 'ms', target: { op: '<=', value: 10 } },
        {
          scenario: SCENARIO,
          metric: `${read.name} errors`,
          value: read.load.non2xx + read.load.errors,
          unit: '',
          target: { op: '=', value: 0 },
        },
      );
    }
    measurements.push(
      {
        scenario: SCENARIO,
        metric: `reconciler pass, worker's look-ahead (${passes.lookahead.checked} checked)`,
        value: passes.lookahead.seconds,
        unit: 's',
      },
      {
        scenario: SCENARIO,
        metric: `reconciler pass, full budget (${passes.fullBudget.checked} checked)`,
        value: passes.fullBudget.seconds,
        unit: 's',
        target: { op: '<=', value: 5 },
      },
      {
        scenario: SCENARIO,
        metric: 'jobs the passes found missing',
        value: passes.lookahead.enqueued + passes.fullBudget.enqueued,
        unit: '',
        target: { op: '=', value: 0 },
      },
    );
    return {
      measurements,
      raw: {
        seedSeconds,
        redisBytes,
        pending,
        readerTasks: mine,
        reads: reads.map(({ name, path, load }) => ({ name, path, load })),
        passes,
      },
    };
  },
};

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))![1]);
}

/**
 * Inserts `count` copies of the template as pending tasks (owned in turn by `ownerId` and `users - 1` new users, due
 * evenly over the next 30 days, two tags each: `million` and one of ten `group-N`, a tenth of each user's tasks in each
 * group), `ROWS_PER_INSERT` to a statement, and adds each statement's jobs as
 * delayed jobs while the next statement runs. Throws once `deadline` has passed.
 */
async function seedPendingTasks(
  pool: pg.Pool,
  queue: TaskQueue,
  options: { templateId: string; ownerId: string; users: number; count: number; deadline: number; log(message: string): void },
): Promise<void> {
  await pool.query(
    `INSERT INTO users (email, password_hash)
     SELECT 'bench-million-' || g || '@example.com', 'not a password hash' FROM generate_series(1, $1::int) AS g`,
    [options.users - 1],
  );
  const owners = (
    await pool.query<{ id: string }>(`SELECT id FROM users WHERE email LIKE 'bench-million-%' OR id = $1 ORDER BY id`, [options.ownerId])
  ).rows.map((row) => row.id);
  const overridden = [
    'id',
    'user_id',
    'name',
    'run_id',
    'status',
    'version',
    'scheduled_at',
    'next_run_at',
    'tags',
    'created_at',
    'updated_at',
  ];
  const columns = await copiedTaskColumns(pool, overridden);
  const firstDue = Date.now() + FIRST_DUE_MS;
  let enqueueing: Promise<void> = Promise.resolve();
  for (let offset = 0; offset < options.count; offset += ROWS_PER_INSERT) {
    if (Date.now() > options.deadline) throw new Error(`seeding took longer than its bound; ${offset} tasks were seeded`);
    const { rows } = await pool.query<{ id: string; run_id: string; version: number; next_run_at: Date }>(
      `INSERT INTO tasks (${columns.join(', ')}, id, user_id, name, run_id, status, version, scheduled_at, next_run_at, tags, created_at, updated_at)
       SELECT ${columns.map((column) => `t.${column}`).join(', ')}, gen_random_uuid(), ($5::uuid[])[1 + g % cardinality($5::uuid[])],
              'million task ' || g, gen_random_uuid(), 'pending', 1, due, due, ARRAY['million', 'group-' || (g / cardinality($5::uuid[])) % 10],
              now() - g * interval '1 millisecond', now() - g * interval '1 millisecond'
         FROM tasks t, generate_series($2::int + 1, $3::int) AS g,
              LATERAL (SELECT to_timestamp(($4::float8 + g::float8 * $6::float8 / $7::float8) / 1000) AS due) AS d
        WHERE t.id = $1
       RETURNING id, run_id, version, next_run_at`,
      [options.templateId, offset, Math.min(options.count, offset + ROWS_PER_INSERT), firstDue, owners, DUE_SPREAD_MS, options.count],
    );
    await enqueueing;
    enqueueing = enqueueDelayed(
      queue,
      rows.map((row) => ({ job: { taskId: row.id, runId: row.run_id, version: row.version }, runAt: row.next_run_at })),
    );
    options.log(`${offset + rows.length} rows inserted`);
  }
  await enqueueing;
  await pool.query('VACUUM ANALYZE tasks, task_tags, task_search');
}

/** `enqueueAttempts` in batches of `JOBS_PER_ENQUEUE`, a few batches in flight (as concurrent API requests would be). */
async function enqueueDelayed(queue: TaskQueue, attempts: Parameters<TaskQueue['enqueueAttempts']>[0]): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < attempts.length) {
      const start = next;
      next += JOBS_PER_ENQUEUE;
      await queue.enqueueAttempts(attempts.slice(start, start + JOBS_PER_ENQUEUE));
    }
  };
  await Promise.all(Array.from({ length: ENQUEUES_IN_FLIGHT }, lane));
}

/** The reading user's task by id, and list pages filtered by status, by tag and by search, each under autocannon. */
async function measureReads(
  pool: pg.Pool,
  session: ApiSession,
  extra: { millionReadSeconds: number; millionReadConnections: number },
  log: (message: string) => void,
): Promise<{ name: string; path: string; load: LoadResult }[]> {
  const ids = (
    await pool.query<{ id: string }>(`SELECT id FROM tasks WHERE user_id = $1 ORDER BY random() LIMIT 1000`, [session.userId])
  ).rows.map((row) => row.id);
  const routes: { name: string; path: string; pick?: () => string }[] = [
    { name: 'GET /tasks/:id', path: `/api/v1/tasks/${ids[0]}`, pick: () => `/api/v1/tasks/${ids[Math.floor(Math.random() * ids.length)]}` },
    { name: 'list status=pending', path: '/api/v1/tasks?status=pending&limit=20' },
    { name: 'list tag=group-3', path: '/api/v1/tasks?tag=group-3&limit=20' },
    { name: 'list q=task 1234', path: '/api/v1/tasks?q=task%201234&limit=20' },
  ];
  const results = [];
  for (const route of routes) {
    log(`${route.name}: ${extra.millionReadSeconds} s, ${extra.millionReadConnections} connections`);
    // Warms the route's schema compilation, the connection pool and Postgres' plan cache; not timed.
    await runLoad({
      url: `${session.baseUrl}${route.path}`,
      headers: session.headers,
      connections: 1,
      seconds: 1,
      ...(route.pick ? { path: route.pick } : {}),
    });
    const load = await runLoad({
      url: `${session.baseUrl}${route.path}`,
      headers: session.headers,
      connections: extra.millionReadConnections,
      seconds: extra.millionReadSeconds,
      ...(route.pick ? { path: route.pick } : {}),
    });
    results.push({ name: route.name, path: route.path, load });
  }
  return results;
}

interface PassResult {
  seconds: number;
  checked: number;
  enqueued: number;
}

/** Times the maintenance pass (see MAINTENANCE) with the worker's look-ahead, then with one that covers every task. */
async function timeMaintenancePasses(
  databaseUrl: string,
  backend: Pick<QueueBackend, 'tasks' | 'notifications'>,
): Promise<{ lookahead: PassResult; fullBudget: PassResult }> {
  const db = createDatabase(databaseUrl, { maxConnections: 2, applicationName: 'punctual-bench' });
  const context: ReconcilerContext = {
    db,
    queue: backend.tasks,
    logger: { warn: () => {} },
    notifications: { emailEnabled: false, queue: backend.notifications },
  };
  const pass = async (lookaheadMs: number): Promise<PassResult> => {
    const started = performance.now();
    await recoverLostAttempts(context, { limit: MAINTENANCE.lostAttemptsPerPass });
    const repair = await repairQueue(context, {
      lookaheadMs,
      batchSize: MAINTENANCE.repairBatch,
      maxBatches: MAINTENANCE.repairMaxBatches,
    });
    await repairDeliveries(
      { db, queue: backend.notifications },
      { batchSize: MAINTENANCE.repairBatch, maxBatches: MAINTENANCE.repairMaxBatches },
    );
    await applyRetention(context, {
      logRetentionDays: MAINTENANCE.logRetentionDays,
      batchSize: MAINTENANCE.retentionBatch,
      maxBatches: MAINTENANCE.retentionMaxBatches,
      idempotencyKeyTtlMs: IDEMPOTENCY_KEY_TTL_MS,
    });
    return { seconds: (performance.now() - started) / 1_000, checked: repair.checked, enqueued: repair.enqueued };
  };
  try {
    return { lookahead: await pass(MAINTENANCE.lookaheadMs), fullBudget: await pass(FIRST_DUE_MS + DUE_SPREAD_MS + FAR_FUTURE_MS) };
  } finally {
    await db.destroy();
  }
}
