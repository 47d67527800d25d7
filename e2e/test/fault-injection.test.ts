import { randomUUID } from 'node:crypto';
import {
  createTestEnvironment,
  postgresServerAvailable,
  runMigrate,
  startApi,
  startPostgresServer,
  startRedisServer,
  withPostgresClient,
  startTargetServer,
  startWorker,
  type PostgresServer,
  type PunctualProcess,
  type RedisServer,
  type TargetServer,
  type TestEnvironment,
} from '@punctual/testing';
import { createDatabase, type Database, type Kysely } from '@punctual/db';
import { queueSchemaName } from '@punctual/queue';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  PunctualClient,
  punctualEnv,
  recentOutput,
  secondsFromNow,
  sleep,
  sleepUntil,
  stopAll,
  waitFor,
  workerIdOf,
} from './punctual-client.js';

// Faults injected into a running Punctual — Redis flushed or restarted, a worker killed or stopped mid-request,
// Postgres restarted, a burst of work due at once — and the invariants that must hold after each:
//   every task due is run or explicitly failed; no run has two successes; every attempt is logged (one log per call
//   the target saw); nothing fires after cancel.
// Each scenario runs its own API and workers against its own Redis (and, for the Postgres case, its own Postgres),
// with a short reconcile interval and lease margin so recovery takes seconds.

const FAST_RECOVERY = {
  RECONCILE_INTERVAL_MS: '500',
  LEASE_MARGIN_MS: '1000',
  WORKER_CONCURRENCY: '50',
};

let environment: TestEnvironment;
let target: TargetServer;
let redis: RedisServer;
let processes: PunctualProcess[] = [];

beforeAll(async () => {
  [environment, target, redis] = await Promise.all([createTestEnvironment(), startTargetServer(), startRedisServer()]);
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') console.log(recentOutput(processes, 40));
  await stopAll(processes).catch(() => {});
  processes = [];
});

afterAll(async () => {
  await redis?.stop();
  await target?.close();
  await environment?.cleanup();
});

/** API and workers of one scenario, on the private Redis. */
async function startPunctual(options: { workers: number; env?: Record<string, string> }) {
  const env = punctualEnv(environment, { REDIS_URL: redis.url, QUEUE_PREFIX: `fault-${randomUUID()}`, ...FAST_RECOVERY, ...options.env });
  const started = await Promise.all([
    startApi(env),
    ...Array.from({ length: options.workers }, (_, index) => startWorker(env, { name: `worker-${index + 1}` })),
  ]);
  processes.push(...started);
  const [api, ...workers] = started as [PunctualProcess & { url: string }, ...PunctualProcess[]];
  return { api, workers, env };
}

/** Creates `count` tasks `concurrency` at a time; returns them in order. */
async function createMany(client: PunctualClient, count: number, body: (index: number) => Record<string, unknown>, concurrency = 25) {
  const ids: string[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        ids[index] = (await client.createTask(body(index))).id;
      }
    }),
  );
  return ids;
}

/** The invariants every scenario ends with, read from Postgres and the target. */
async function expectInvariants(db: Kysely<Database>, ids: string[], options: { path: string; cancelled?: string[]; timeoutMs?: number }) {
  const cancelled = new Set(options.cancelled ?? []);
  const due = ids.filter((id) => !cancelled.has(id));
  // Every task due is run (or explicitly failed) in the end.
  await waitFor(
    async () => {
      const open = await db
        .selectFrom('tasks')
        .select(['id', 'status'])
        .where('id', 'in', due)
        .where('status', 'not in', ['completed', 'failed'])
        .execute();
      expect(open, `${open.length} of ${due.length} tasks not finished`).toEqual([]);
    },
    options.timeoutMs ?? 30_000,
    250,
  );
  const logs = await db.selectFrom('task_logs').select(['task_id', 'run_id', 'outcome', 'error']).where('task_id', 'in', ids).execute();
  // No run succeeded twice.
  const successes = new Map<string, number>();
  for (const log of logs) if (log.outcome === 'succeeded') successes.set(log.run_id, (successes.get(log.run_id) ?? 0) + 1);
  expect([...successes.values()].filter((count) => count > 1)).toEqual([]);
  expect((await db.selectFrom('tasks').select('id').where('id', 'in', due).where('status', '=', 'completed').execute()).length).toBe(
    due.length,
  );
  // Every attempt is logged and closed: one log per request the target received (a lost worker's request included).
  expect(logs.filter((log) => log.outcome === null)).toEqual([]);
  const hits = target.hitsFor(options.path);
  const hitsByTask = new Map<string, number>();
  for (const hit of hits)
    hitsByTask.set(String(hit.headers['punctual-task-id']), (hitsByTask.get(String(hit.headers['punctual-task-id'])) ?? 0) + 1);
  const logsByTask = new Map<string, number>();
  for (const log of logs)
    if (log.error !== 'worker lost' || hitsByTask.has(log.task_id)) logsByTask.set(log.task_id, (logsByTask.get(log.task_id) ?? 0) + 1);
  for (const id of due) expect(logsByTask.get(id) ?? 0, `logs of task ${id}`).toBeGreaterThanOrEqual(hitsByTask.get(id) ?? 0);
  // Nothing fires after cancel.
  for (const id of cancelled) expect(hitsByTask.get(id) ?? 0, `hits of cancelled task ${id}`).toBe(0);
  return { logs, hits };
}

/**
 * kill -9 of the worker holding the most attempts in flight, 20 slow calls in: its attempts must be closed as
 * "worker lost" and retried on the other worker. The same scenario on either queue backend.
 */
async function killWorkerMidRequest(punctual: { api: { url: string }; workers: PunctualProcess[] }, db: Kysely<Database>) {
  const client = await PunctualClient.register(punctual.api.url);
  const path = `/delay/2500/${randomUUID()}`;
  const ids = await createMany(client, 20, () => ({ url: `${target.url}${path}`, timeoutMs: 5_000, maxRetries: 2 }));
  await target.waitForHits(20, { pathPrefix: path, timeoutMs: 20_000 });
  // Kill the worker holding the most attempts in flight (BullMQ decides who takes what).
  const open = await db
    .selectFrom('task_logs')
    .select(['worker_id', (eb) => eb.fn.countAll<string>().as('open')])
    .where('task_id', 'in', ids)
    .where('outcome', 'is', null)
    .groupBy('worker_id')
    .orderBy('open', 'desc')
    .execute();
  const victim = punctual.workers.find((worker) => workerIdOf(worker) === open[0]?.worker_id);
  expect(victim, JSON.stringify(open)).toBeDefined();

  await victim!.kill();

  const { logs } = await expectInvariants(db, ids, { path, timeoutMs: 45_000 });
  const lost = logs.filter((log) => log.error === 'worker lost');
  expect(lost.length).toBeGreaterThan(0);
  // Every lost attempt was followed by a success in the same run.
  for (const log of lost) expect(logs.some((other) => other.run_id === log.run_id && other.outcome === 'succeeded')).toBe(true);
}

/** 100 tasks due over 6 s, calling a target that answers after 200 ms; resolves once the first calls have landed. */
async function startSteadyLoad(client: PunctualClient) {
  const path = `/delay/200/${randomUUID()}`;
  const ids = await createMany(client, 100, (index) => ({
    url: `${target.url}${path}`,
    scheduledAt: secondsFromNow(1 + (index % 6)).toISOString(),
  }));
  await target.waitForHits(5, { pathPrefix: path, timeoutMs: 15_000 });
  return { path, ids };
}

/** With Postgres down, creating a task must be refused with 503; returns the answer. */
async function expectCreateRefused(client: PunctualClient, path: string) {
  const refused = await client.request('POST', '/api/v1/tasks', { name: 'during', url: `${target.url}${path}` });
  expect(refused.status).toBe(503);
  return refused;
}

describe('fault injection', { timeout: 120_000 }, () => {
  it('FLUSHALL with 200 pending tasks: the reconciler puts every job back and each task runs once', async () => {
    const { api } = await startPunctual({ workers: 2 });
    const client = await PunctualClient.register(api.url);
    const path = `/ok/${randomUUID()}`;
    const due = secondsFromNow(4);
    const ids = await createMany(client, 200, () => ({ url: `${target.url}${path}`, scheduledAt: due.toISOString() }));
    const cancelled = ids.slice(0, 20);
    const bulk = await client.request<{ results: { ok: boolean }[] }>('POST', '/api/v1/tasks/bulk', { action: 'cancel', ids: cancelled });
    expect(bulk.body.results.every((result) => result.ok)).toBe(true);

    await redis.flushAll();

    await expectInvariants(environment.db, ids, { path, cancelled });
    expect(target.hitsFor(path)).toHaveLength(180);
  });

  it('Redis restarted without persistence: tasks accepted while it was down and tasks queued before it run after it returns', async () => {
    const { api } = await startPunctual({ workers: 2 });
    const client = await PunctualClient.register(api.url);
    const path = `/ok/${randomUUID()}`;
    const before = await createMany(client, 50, (index) => ({
      url: `${target.url}${path}`,
      scheduledAt: secondsFromNow(2 + (index % 4)).toISOString(),
    }));

    await redis.stop();
    // The API still takes tasks (Postgres has them; the reconciler queues them once Redis is back) and says it is degraded.
    const during = await createMany(client, 20, () => ({ url: `${target.url}${path}` }), 5);
    const health = await fetch(`${api.url}/health`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { status: string }).status).toBe('degraded');
    await sleep(1_000);
    await redis.restart();

    const ids = [...before, ...during];
    await expectInvariants(environment.db, ids, { path, timeoutMs: 45_000 });
    expect(target.hitsFor(path)).toHaveLength(70);
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
  });

  it('kill -9 of a worker mid-request: its attempts are closed as "worker lost" and retried on the other worker', async () => {
    await killWorkerMidRequest(await startPunctual({ workers: 2 }), environment.db);
  });

  it('SIGTERM to a worker under load: it finishes its calls in flight, exits 0, and the other worker does the rest', async () => {
    const { api, workers } = await startPunctual({ workers: 2 });
    const client = await PunctualClient.register(api.url);
    const path = `/delay/400/${randomUUID()}`;
    const ids = await createMany(client, 150, (index) => ({
      url: `${target.url}${path}`,
      scheduledAt: secondsFromNow(1 + (index % 5)).toISOString(),
    }));
    await target.waitForHits(10, { pathPrefix: path, timeoutMs: 15_000 });

    expect(await workers[0]!.stop('SIGTERM', 20_000)).toBe(0);
    processes = processes.filter((child) => child !== workers[0]);

    const { logs } = await expectInvariants(environment.db, ids, { path, timeoutMs: 45_000 });
    expect(logs.filter((log) => log.error === 'worker lost')).toEqual([]);
    expect(target.hitsFor(path)).toHaveLength(150);
  });

  it('2,000 tasks due in the same second across 2 workers: exactly 2,000 successes', async () => {
    // The tasks are created before any worker runs, all due at one instant that has passed by the time the workers
    // start: however long creating them takes on a loaded machine, the workers meet 2,000 due jobs at once.
    const { api, env } = await startPunctual({ workers: 0 });
    const client = await PunctualClient.register(api.url);
    const path = `/ok/${randomUUID()}`;
    const due = secondsFromNow(2);
    const ids = await createMany(client, 2_000, () => ({ url: `${target.url}${path}`, scheduledAt: due.toISOString() }), 40);
    await sleepUntil(due);
    expect(target.hitsFor(path)).toHaveLength(0);
    processes.push(...(await Promise.all([startWorker(env, { name: 'worker-1' }), startWorker(env, { name: 'worker-2' })])));

    const { logs } = await expectInvariants(environment.db, ids, { path, timeoutMs: 60_000 });
    expect(logs.filter((log) => log.outcome === 'succeeded')).toHaveLength(2_000);
    expect(target.hitsFor(path)).toHaveLength(2_000);
  });
});

describe.skipIf(!postgresServerAvailable())('fault injection: Postgres', { timeout: 120_000 }, () => {
  it('Postgres restarted under load: the API answers 503 meanwhile, workers pause and resume, every task runs', async () => {
    const postgres = await startPostgresServer();
    try {
      const databaseUrl = postgres.databaseUrl('punctual_fault');
      const migrated = await runMigrate({ ...environment.processEnv, DATABASE_URL: databaseUrl });
      expect(migrated.code, migrated.output).toBe(0);
      const { api } = await startPunctual({ workers: 2, env: { DATABASE_URL: databaseUrl } });
      const client = await PunctualClient.register(api.url);
      const { path, ids } = await startSteadyLoad(client);

      await postgres.stop();
      const refused = await expectCreateRefused(client, path);
      expect(refused.headers.get('retry-after')).not.toBeNull();
      await sleep(2_000);
      await postgres.restart();

      const db = createDatabase(databaseUrl, { maxConnections: 2 });
      try {
        await expectInvariants(db, ids, { path, timeoutMs: 60_000 });
      } finally {
        await db.destroy();
      }
    } finally {
      await stopAll(processes).catch(() => {});
      processes = [];
      await postgres.remove();
    }
  });
});

// The same guarantees with QUEUE_BACKEND=postgres: BullMQ's tables in the schema bullmq_<prefix> of the same private
// Postgres as the tasks, and no Redis at all (REDIS_URL points where nothing listens). Each scenario has its own prefix.
describe.skipIf(!postgresServerAvailable())('fault injection: the Postgres queue backend', { timeout: 120_000 }, () => {
  let postgres: PostgresServer;
  let databaseUrl: string;
  let db: Kysely<Database>;

  beforeAll(async () => {
    postgres = await startPostgresServer();
    databaseUrl = postgres.databaseUrl('punctual_queue_fault');
    const migrated = await runMigrate({ ...environment.processEnv, DATABASE_URL: databaseUrl, QUEUE_BACKEND: 'postgres' });
    expect(migrated.code, migrated.output).toBe(0);
    db = createDatabase(databaseUrl, { maxConnections: 2 });
  }, 120_000);

  afterAll(async () => {
    await db?.destroy();
    await postgres?.remove();
  });

  const startOnPostgres = (workers: number) =>
    startPunctual({ workers, env: { DATABASE_URL: databaseUrl, QUEUE_BACKEND: 'postgres', REDIS_URL: 'redis://127.0.0.1:1' } });

  it("queue tables truncated with 100 pending tasks: the reconciler puts every job back; a cancelled or rescheduled task's old job never fires", async () => {
    const { api, env } = await startOnPostgres(2);
    const client = await PunctualClient.register(api.url);
    const path = `/ok/${randomUUID()}`;
    const due = secondsFromNow(8);
    const ids = await createMany(client, 100, () => ({ url: `${target.url}${path}`, scheduledAt: due.toISOString() }));

    await withPostgresClient(databaseUrl, (admin) => admin.query(`TRUNCATE ${queueSchemaName(env.QUEUE_PREFIX!)}.job CASCADE`));
    // The reconciler (every 500 ms) puts the jobs back; then some tasks move on, so their repaired jobs are stale.
    await sleep(2_000);
    const cancelled = ids.slice(0, 10);
    const bulk = await client.request<{ results: { ok: boolean }[] }>('POST', '/api/v1/tasks/bulk', { action: 'cancel', ids: cancelled });
    expect(bulk.body.results.every((result) => result.ok)).toBe(true);
    const later = new Date(due.getTime() + 5_000);
    const rescheduled = ids.slice(10, 20);
    for (const id of rescheduled) await client.reschedule(id, later);

    await expectInvariants(db, ids, { path, cancelled, timeoutMs: 45_000 });
    expect(target.hitsFor(path)).toHaveLength(90);
    for (const id of rescheduled) {
      const hits = target.hitsFor(path).filter((each) => each.headers['punctual-task-id'] === id);
      expect(hits, `hits of rescheduled task ${id}`).toHaveLength(1);
      expect(hits[0]!.receivedAt.getTime(), `task ${id} ran before its new time`).toBeGreaterThanOrEqual(later.getTime() - 50);
    }
  });

  it('kill -9 of a worker mid-request: its attempts are closed as "worker lost" and retried on the other worker', async () => {
    await killWorkerMidRequest(await startOnPostgres(2), db);
  });

  it('Postgres (tasks and queue) restarted under load: every task runs', async () => {
    const { api } = await startOnPostgres(2);
    const client = await PunctualClient.register(api.url);
    const { path, ids } = await startSteadyLoad(client);

    await db.destroy();
    await postgres.stop();
    await expectCreateRefused(client, path);
    await sleep(2_000);
    await postgres.restart();
    db = createDatabase(databaseUrl, { maxConnections: 2 });

    await expectInvariants(db, ids, { path, timeoutMs: 60_000 });
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
  });
});
