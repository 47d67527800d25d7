import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisConnection, createRedisTaskQueue, waitForRedisReady, type Redis, type TaskQueue } from '@punctual/queue';
import {
  startApi,
  startRedisServer,
  startTargetServer,
  parsePrometheusText,
  startWorker,
  withDatabase,
  withPostgresClient,
  type TargetServer,
} from '@punctual/testing';
import pg from 'pg';
import { registerUser, type ApiSession } from './api-session.js';
import { createBenchEnvironment, type BenchEnvironment } from './bench-environment.js';
import { runBenchMain, writeResults, type Teardown } from './bench-main.js';
import { startForeignCpuMeter } from './foreign-cpu-meter.js';
import { FAR_FUTURE_MS, farFutureTask, runCreateLoad } from './http-load.js';
import { describeMachine } from './machine.js';
import { startRssSampler } from './rss-sampler.js';
import { enqueueDue, seedDueTasks } from './seed-tasks.js';
import {
  counterDelta,
  createBackendReader,
  databaseCounters,
  processCpuSeconds,
  redisCpuSeconds,
  tableStats,
  waitShares,
  type BackendReading,
  type DatabaseCounters,
} from './scaling-probes.js';

/**
 * `pnpm bench:scaling`: the figures behind the README's scaling guide.
 *
 * 1. Redis memory per pending task: a private `redis-server` (nothing else's keys), `used_memory` before and after
 *    adding delayed attempts through the real TaskQueue.
 * 2. The API under create load: creates per second, CPU per create (API, its Postgres backends, Redis), Postgres
 *    transactions and rows per create, peak connections of the API's pool.
 * 3. One worker process per WORKER_CONCURRENCY, draining attempts that are all due against a local target that answers
 *    at once: attempts per wall second and per CPU-second of the worker, Postgres' and Redis' CPU per attempt,
 *    transactions and rows per attempt, peak connections of the worker's pool.
 *
 * The API and workers are the real processes (compiled JavaScript, production settings) on a database of their own on
 * the local Postgres and a private Redis; everything is removed at the end.
 */

interface ScalingOptions {
  databaseUrl: string;
  redisTasks: number[];
  apiSeconds: number;
  apiConnections: number;
  attempts: number;
  concurrencies: number[];
  /** The slow-target runs: the target answers after this many ms, so concurrency, not CPU, bounds a worker. */
  slowTargetMs: number;
  slowAttempts: number;
  slowConcurrencies: number[];
}

function readOptions(env: NodeJS.ProcessEnv = process.env): ScalingOptions {
  const ints = (name: string, fallback: string): number[] => {
    const raw = env[name] || fallback;
    const values = raw.split(',').map((part) => Number(part.trim()));
    if (values.some((value) => !Number.isInteger(value) || value < 1))
      throw new Error(`${name} must be positive integers separated by commas, got "${raw}"`);
    return values;
  };
  const int = (name: string, fallback: number): number => ints(name, String(fallback))[0]!;
  return {
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisTasks: ints('SCALING_REDIS_TASKS', '10000,100000').sort((a, b) => a - b),
    apiSeconds: int('SCALING_API_SECONDS', 10),
    apiConnections: int('SCALING_API_CONNECTIONS', 20),
    attempts: int('SCALING_ATTEMPTS', 3_000),
    concurrencies: ints('SCALING_CONCURRENCY', '10,50,100'),
    slowTargetMs: int('SCALING_SLOW_TARGET_MS', 200),
    slowAttempts: int('SCALING_SLOW_ATTEMPTS', 1_000),
    slowConcurrencies: ints('SCALING_SLOW_CONCURRENCY', '10,100'),
  };
}

const SAMPLE_INTERVAL_MS = 250;
const log = (message: string): void => console.error(`[scaling] ${message}`);

// ---------------------------------------------------------------------------------------------------------------------
// 1. Redis memory per pending task

interface RedisMemoryRow {
  pendingTasks: number;
  usedMemoryBytes: number;
  bytesPerTask: number;
  /** From the previous row (or from empty for the first): what one more task costs once the events stream is full. */
  marginalBytesPerTask: number;
  eventsStreamEntries: number;
}

interface RedisMemoryResult {
  rows: RedisMemoryRow[];
  /** `MEMORY USAGE` of one job's hash. */
  jobHashBytes: number;
  /** `MEMORY USAGE` of the events stream (BullMQ caps it at about 10,000 entries). */
  eventsStreamBytes: number;
}

async function measureRedisMemory(redisUrl: string, sizes: number[]): Promise<RedisMemoryResult> {
  const connection = createRedisConnection(redisUrl, { blocking: true });
  const queue = createRedisTaskQueue({ connection, prefix: 'scaling-memory' });
  try {
    if (!(await waitForRedisReady(connection, 5_000))) throw new Error(`the private Redis at ${redisUrl} is not ready`);
    const usedMemory = async (): Promise<number> => Number(/^used_memory:(\d+)/m.exec(await connection.info('memory'))![1]);
    const baseline = await usedMemory();
    const rows: RedisMemoryRow[] = [];
    let enqueued = 0;
    let previous = { tasks: 0, used: baseline };
    let lastJob = '';
    for (const size of sizes) {
      log(`1. Redis memory: ${size} delayed attempts`);
      while (enqueued < size) {
        const chunk = Math.min(1_000, size - enqueued);
        const runAt = new Date(Date.now() + FAR_FUTURE_MS);
        const attempts = Array.from({ length: chunk }, () => ({ job: { taskId: randomUUID(), runId: randomUUID(), version: 1 }, runAt }));
        await queue.enqueueAttempts(attempts);
        lastJob = `${attempts.at(-1)!.job.taskId}.1`;
        enqueued += chunk;
      }
      const used = await usedMemory();
      rows.push({
        pendingTasks: size,
        usedMemoryBytes: used - baseline,
        bytesPerTask: (used - baseline) / size,
        marginalBytesPerTask: (used - previous.used) / (size - previous.tasks),
        eventsStreamEntries: await connection.xlen(queue.queue.toKey('events')),
      });
      previous = { tasks: size, used };
    }
    const memoryUsage = async (key: string): Promise<number> => Number(await connection.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
    return {
      rows,
      jobHashBytes: await memoryUsage(queue.queue.toKey(lastJob)),
      eventsStreamBytes: await memoryUsage(queue.queue.toKey('events')),
    };
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Shared by 2 and 3: the servers and the probes

interface Probes {
  environment: BenchEnvironment;
  databaseName: string;
  monitor: pg.Client;
  redis: Redis;
  /** The processes' queue, for adding the attempts the workers drain. */
  queue: TaskQueue;
  readBackends: () => Promise<BackendReading>;
}

/**
 * Commands Redis has executed (those inside Lua scripts included) and, of them, script calls (`EVALSHA`, `EVAL`): BullMQ
 * does each queue operation as one script, so the scripts plus the few plain commands are the round trips.
 */
async function redisCommands(redis: Redis): Promise<{ commands: number; scripts: number }> {
  const stats = await redis.info('commandstats');
  let commands = 0;
  let scripts = 0;
  for (const [, name, calls] of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    commands += Number(calls);
    if (/^eval/.test(name!)) scripts += Number(calls);
  }
  return { commands, scripts };
}

/** Peak open and active connections of `app` over a run of readings. */
function peakConnections(readings: BackendReading[], app: string): { open: number; active: number } {
  return readings.reduce(
    (peak, reading) => {
      const now = reading.connections.get(app) ?? { open: 0, active: 0 };
      return { open: Math.max(peak.open, now.open), active: Math.max(peak.active, now.active) };
    },
    { open: 0, active: 0 },
  );
}

/** What the rates of a run are taken between: one process's CPU time, Redis' CPU time and commands, the backends. */
interface Reading {
  at: number;
  /** CPU seconds of the process under test (NaN when they cannot be read). */
  cpu: number;
  redis: number;
  commands: { commands: number; scripts: number };
  backends: BackendReading;
  /** CPU seconds of this process: the target the calls go to (and the bench's own sampling, a small share). */
  bench: number;
}

async function readCounters(probes: Probes, pid: number): Promise<Reading> {
  const { user, system } = process.cpuUsage();
  return {
    at: Date.now(),
    bench: (user + system) / 1e6,
    cpu: (await processCpuSeconds(pid)) ?? Number.NaN,
    redis: await redisCpuSeconds(probes.redis),
    commands: await redisCommands(probes.redis),
    backends: await probes.readBackends(),
  };
}

/** Backends flush their counters at most once a second and when they exit; the caller stops the process first. */
async function settledCounters(probes: Probes): Promise<DatabaseCounters> {
  await sleep(1_500);
  return databaseCounters(probes.monitor, probes.databaseName);
}

// ---------------------------------------------------------------------------------------------------------------------
// 2. The API under create load

/** The process's Postgres pool over a run. */
interface PoolFigures {
  peakConnections: { open: number; active: number };
  poolMax: number;
  /** What its active backends were waiting on, as shares of the samples. */
  postgresWaits: Record<string, number>;
}

interface ApiResult extends PoolFigures {
  seconds: number;
  connections: number;
  creates: number;
  createsPerSecond: number;
  non2xx: number;
  p99Ms: number;
  apiCpuMsPerCreate: number;
  apiCoresUsed: number;
  postgresCpuMsPerCreate: number;
  redisCpuMsPerCreate: number;
  redisCommandsPerCreate: number;
  redisScriptsPerCreate: number;
  perCreate: DatabaseCounters;
}

async function measureApi(
  probes: Probes,
  target: TargetServer,
  options: ScalingOptions,
): Promise<{ result: ApiResult; session: ApiSession; templateId: string }> {
  const api = await startApi(probes.environment.processEnv);
  try {
    const session = await registerUser(api.url);
    const readings: BackendReading[] = [];
    const counters = await settledCounters(probes);
    const before = await readCounters(probes, api.pid);
    const timer = setInterval(() => void probes.readBackends().then((reading) => readings.push(reading)), SAMPLE_INTERVAL_MS);
    log(`2. POST /api/v1/tasks for ${options.apiSeconds} s, ${options.apiConnections} connections`);
    const load = await runCreateLoad(api.url, session.headers, farFutureTask('scaling create', `${target.url}/ok/create`), {
      connections: options.apiConnections,
      seconds: options.apiSeconds,
    }).finally(() => clearInterval(timer));
    const after = await readCounters(probes, api.pid);
    // The worker phase copies this task: a row the API wrote, calling the target, no retries.
    const created = await fetch(`${api.url}/api/v1/tasks`, {
      method: 'POST',
      headers: session.headers,
      body: JSON.stringify({ ...farFutureTask('scaling template', `${target.url}/ok/template`), maxRetries: 0 }),
    });
    if (created.status !== 201) throw new Error(`POST /api/v1/tasks: ${created.status} ${await created.text()}`);
    const templateId = ((await created.json()) as { id: string }).id;
    await api.stop();
    const perRun = counterDelta(counters, await settledCounters(probes));
    const creates = load.requests;
    const pgCpu = (after.backends.cpuSeconds.get('punctual-api') ?? 0) - (before.backends.cpuSeconds.get('punctual-api') ?? 0);
    return {
      session,
      templateId,
      result: {
        seconds: options.apiSeconds,
        connections: options.apiConnections,
        creates,
        createsPerSecond: load.requestsPerSecond,
        non2xx: load.non2xx + load.errors,
        p99Ms: load.p99Ms,
        apiCpuMsPerCreate: ((after.cpu - before.cpu) * 1_000) / creates,
        apiCoresUsed: (after.cpu - before.cpu) / ((after.at - before.at) / 1_000),
        postgresCpuMsPerCreate: (pgCpu * 1_000) / creates,
        redisCpuMsPerCreate: ((after.redis - before.redis) * 1_000) / creates,
        redisCommandsPerCreate: (after.commands.commands - before.commands.commands) / creates,
        redisScriptsPerCreate: (after.commands.scripts - before.commands.scripts) / creates,
        // Includes the registration and the template (a handful of transactions) and the monitor's reads of Redis.
        perCreate: perUnit(perRun, creates),
        peakConnections: peakConnections(readings, 'punctual-api'),
        poolMax: 20,
        postgresWaits: waitShares(readings, 'punctual-api'),
      },
    };
  } finally {
    await api.stop();
  }
}

function perUnit(counters: DatabaseCounters, units: number): DatabaseCounters {
  const round = (value: number): number => Math.round((value / units) * 100) / 100;
  return {
    xactCommit: round(counters.xactCommit),
    xactRollback: round(counters.xactRollback),
    tupInserted: round(counters.tupInserted),
    tupUpdated: round(counters.tupUpdated),
    tupDeleted: round(counters.tupDeleted),
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// 3. One worker process draining due attempts

interface WorkerResult extends PoolFigures {
  concurrency: number;
  /** How long the target takes to answer. */
  targetDelayMs: number;
  attempts: number;
  /** Seconds between 10 % and 90 % of the calls reaching the target: the steady state the rates are taken over. */
  windowSeconds: number;
  attemptsPerSecond: number;
  /** CPUs' worth the worker process used in the window (1 = one whole core). */
  workerCoresUsed: number;
  workerCpuMsPerAttempt: number;
  /** Attempts per CPU-second of the worker: what one core running only the worker would do. */
  attemptsPerWorkerCpuSecond: number;
  postgresCpuMsPerAttempt: number;
  redisCpuMsPerAttempt: number;
  /** The bench process: the target answering the calls, and the sampling. */
  targetCpuMsPerAttempt: number;
  /** Worker, its Postgres backends and Redis together. */
  stackCpuMsPerAttempt: number;
  redisCommandsPerAttempt: number;
  redisScriptsPerAttempt: number;
  /** The whole run, worker start to stop (its maintenance pass included). */
  perAttempt: DatabaseCounters;
  /** Per table: the share of its updates that were HOT (no index entry written), its indexes, and how much it and they grew per attempt. */
  tables: Record<string, { hotUpdateShare: number; indexes: number; tableBytesPerAttempt: number; indexBytesPerAttempt: number }>;
  peakRssMiB: number | null;
  succeededLogs: number;
  distinctRuns: number;
  timedOut: boolean;
  /** Where a worker slot's time goes, per attempt (the worker's own histograms, over the window). */
  cycle: AttemptCycle;
}

/**
 * A slot's time per attempt over the run's window: waiting for the claim, the call, waiting for the record (means of
 * the worker's histograms between the window's first and last samples), and the whole cycle (concurrency / attempts per second): the rest is BullMQ's fetch and finish of the
 * job and time the slot's work waited for the event loop.
 */
interface AttemptCycle {
  claimMs: number;
  callMs: number;
  recordMs: number;
  cycleMs: number;
}

/** The worker's histogram sums and counts behind AttemptCycle, read at each sample so the cycle covers the window. */
interface CycleTotals {
  claim: { sum: number; count: number };
  call: { sum: number; count: number };
  record: { sum: number; count: number };
}

async function readCycleTotals(metricsUrl: string): Promise<CycleTotals> {
  const scraped = parsePrometheusText(await (await fetch(metricsUrl)).text());
  const totals = (name: string, labels: Record<string, string> = {}) => ({
    sum: scraped.sum(`${name}_sum`, labels),
    count: scraped.sum(`${name}_count`, labels),
  });
  return {
    claim: totals('punctual_attempt_store_wait_seconds', { step: 'claim' }),
    call: totals('punctual_attempt_duration_seconds'),
    record: totals('punctual_attempt_store_wait_seconds', { step: 'record' }),
  };
}

/** Mean ms of each step between two readings. */
function cycleBetween(first: CycleTotals, last: CycleTotals): Omit<AttemptCycle, 'cycleMs'> {
  const mean = (step: keyof CycleTotals): number => ((last[step].sum - first[step].sum) * 1_000) / (last[step].count - first[step].count);
  return { claimMs: mean('claim'), callMs: mean('call'), recordMs: mean('record') };
}

interface Sample extends Reading {
  /** Calls the target has received. */
  hits: number;
  cycle: CycleTotals;
}

async function measureWorker(
  probes: Probes,
  target: TargetServer,
  templateId: string,
  run: { concurrency: number; count: number; delayMs: number },
): Promise<WorkerResult> {
  const { environment } = probes;
  const { concurrency, count, delayMs } = run;
  // The trailing slash keeps one run's prefix from matching another's (c10 in c100).
  const path = `${delayMs > 0 ? `/delay/${delayMs}` : '/ok'}/scale-c${concurrency}/`;
  log(`3. worker at WORKER_CONCURRENCY=${concurrency}: ${count} attempts due at once, the target answering after ${delayMs} ms`);
  const jobs = await seedDueTasks(environment.pool, templateId, `${target.url}${path}`, count);
  await enqueueDue(probes.queue, jobs);

  const updatesBefore = await withPostgresClient(environment.databaseUrl, tableStats);
  const counters = await settledCounters(probes);
  const worker = await startWorker(
    { ...environment.processEnv, WORKER_CONCURRENCY: String(concurrency) },
    { name: `worker-c${concurrency}` },
  );
  const rss = startRssSampler([worker.pid]);
  const startedAt = Date.now();
  const samples: Sample[] = [];
  const take = async (): Promise<Sample> => ({
    hits: target.hitsFor(path).length,
    cycle: await readCycleTotals(`${worker.healthUrl}/metrics`),
    ...(await readCounters(probes, worker.pid)),
  });
  const deadline = startedAt + 60_000 + count * 50;
  let timedOut = false;
  try {
    for (;;) {
      const sample = await take();
      samples.push(sample);
      if (sample.hits >= count) break;
      if (Date.now() > deadline) {
        timedOut = true;
        break;
      }
      await sleep(SAMPLE_INTERVAL_MS);
    }
    // Let the last attempts be recorded.
    await sleep(1_000);
  } finally {
    rss.stop();
    await worker.stop();
  }
  const perRun = counterDelta(counters, await settledCounters(probes));
  const updatesAfter = await withPostgresClient(environment.databaseUrl, tableStats);
  const tables = Object.fromEntries(
    Object.entries(updatesAfter).map(([table, after]) => {
      const before = updatesBefore[table]!;
      return [
        table,
        {
          hotUpdateShare: Math.round(((after.hotUpdates - before.hotUpdates) / Math.max(1, after.updates - before.updates)) * 100) / 100,
          indexes: after.indexes,
          tableBytesPerAttempt: Math.round((after.tableBytes - before.tableBytes) / count),
          indexBytesPerAttempt: Math.round((after.indexBytes - before.indexBytes) / count),
        },
      ];
    }),
  );
  const logs = await withPostgresClient(environment.databaseUrl, (client) =>
    client.query<{ succeeded: number; runs: number }>(
      `SELECT count(*) FILTER (WHERE outcome = 'succeeded')::int AS succeeded,
              count(DISTINCT run_id) FILTER (WHERE outcome = 'succeeded')::int AS runs
         FROM task_logs WHERE task_id = ANY($1::uuid[])`,
      [jobs.map((job) => job.taskId)],
    ),
  );

  const first = samples.find((sample) => sample.hits >= count * 0.1) ?? samples[0]!;
  const last = samples.find((sample) => sample.hits >= count * 0.9) ?? samples.at(-1)!;
  const seconds = (last.at - first.at) / 1_000;
  const done = last.hits - first.hits;
  const workerCpu = last.cpu - first.cpu;
  const cpuOf = (sample: Sample): number => sample.backends.cpuSeconds.get('punctual-worker') ?? 0;
  const postgresCpu = cpuOf(last) - cpuOf(first);
  const redisCpu = last.redis - first.redis;
  const ms = (cpuSeconds: number): number => (cpuSeconds * 1_000) / done;
  return {
    concurrency,
    targetDelayMs: delayMs,
    attempts: count,
    windowSeconds: seconds,
    attemptsPerSecond: done / seconds,
    workerCoresUsed: workerCpu / seconds,
    workerCpuMsPerAttempt: ms(workerCpu),
    attemptsPerWorkerCpuSecond: done / workerCpu,
    postgresCpuMsPerAttempt: ms(postgresCpu),
    redisCpuMsPerAttempt: ms(redisCpu),
    targetCpuMsPerAttempt: ms(last.bench - first.bench),
    stackCpuMsPerAttempt: ms(workerCpu + postgresCpu + redisCpu),
    redisCommandsPerAttempt: (last.commands.commands - first.commands.commands) / done,
    redisScriptsPerAttempt: (last.commands.scripts - first.commands.scripts) / done,
    perAttempt: perUnit(perRun, count),
    peakConnections: peakConnections(
      samples.map((sample) => sample.backends),
      'punctual-worker',
    ),
    poolMax: Math.min(20, concurrency),
    postgresWaits: waitShares(
      samples.filter((sample) => sample.at >= first.at && sample.at <= last.at).map((sample) => sample.backends),
      'punctual-worker',
    ),
    tables,
    peakRssMiB: rss.peak(worker.pid, startedAt),
    succeededLogs: logs.rows[0]!.succeeded,
    distinctRuns: logs.rows[0]!.runs,
    timedOut,
    cycle: { ...cycleBetween(first.cycle, last.cycle), cycleMs: (concurrency * seconds * 1_000) / done },
  };
}

// ---------------------------------------------------------------------------------------------------------------------

/** Resolves with whether every run did what it should (the numbers of a run that did not are not worth keeping). */
async function main(teardown: Teardown): Promise<boolean> {
  const options = readOptions();
  const startedAt = new Date();
  const foreignCpuMeter = startForeignCpuMeter();
  const redisServer = await startRedisServer();
  teardown.push(() => redisServer.stop());
  const redisMemory = await measureRedisMemory(redisServer.url, options.redisTasks);
  await redisServer.flushAll();

  log('creating a database of its own; the API and workers use the private Redis');
  const environment = await createBenchEnvironment({ databaseUrl: options.databaseUrl, redisUrl: redisServer.url });
  teardown.push(() => environment.cleanup());
  const databaseName = new URL(environment.databaseUrl).pathname.slice(1);
  const monitor = new pg.Client({
    connectionString: withDatabase(options.databaseUrl, 'postgres'),
    application_name: 'punctual-scaling',
  });
  await monitor.connect();
  teardown.push(() => monitor.end());
  const redis = createRedisConnection(redisServer.url, { blocking: true });
  teardown.push(async () => redis.disconnect());
  // Through a pool of its own on the server's `postgres` database: the bench database sees only the processes' queries.
  const machinePool = new pg.Pool({ connectionString: withDatabase(options.databaseUrl, 'postgres'), max: 1 });
  const machine = await describeMachine(machinePool, redisServer.url).finally(() => machinePool.end());
  const target = await startTargetServer();
  teardown.push(() => target.close());
  const queue = createRedisTaskQueue({ connection: redis, prefix: environment.queuePrefix });
  teardown.push(() => queue.close());
  const probes: Probes = { environment, databaseName, monitor, redis, queue, readBackends: createBackendReader(monitor, databaseName) };

  const api = await measureApi(probes, target, options);
  const workers: WorkerResult[] = [];
  for (const concurrency of options.concurrencies)
    workers.push(await measureWorker(probes, target, api.templateId, { concurrency, count: options.attempts, delayMs: 0 }));
  for (const concurrency of options.slowConcurrencies)
    workers.push(
      await measureWorker(probes, target, api.templateId, { concurrency, count: options.slowAttempts, delayMs: options.slowTargetMs }),
    );
  const foreignCpu = await foreignCpuMeter.stop();

  console.log(
    `\nPunctual scaling: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
      `Postgres ${machine.postgres}, Redis ${machine.redis}; other programs used ${foreignCpu.averageCores.toFixed(2)} ` +
      `of ${machine.cpus} CPUs on average (Postgres and Redis not counted).\n`,
  );
  console.log('1. Redis memory per pending (delayed) task');
  for (const row of redisMemory.rows)
    console.log(
      `   ${row.pendingTasks} tasks: ${(row.usedMemoryBytes / 2 ** 20).toFixed(1)} MiB, ${row.bytesPerTask.toFixed(0)} B/task ` +
        `(marginal ${row.marginalBytesPerTask.toFixed(0)} B/task), events stream ${row.eventsStreamEntries} entries`,
    );
  console.log(`   one job hash ${redisMemory.jobHashBytes} B; events stream ${(redisMemory.eventsStreamBytes / 2 ** 20).toFixed(1)} MiB`);
  const a = api.result;
  console.log(`\n2. API, POST /api/v1/tasks, ${a.connections} connections for ${a.seconds} s`);
  console.log(
    `   ${a.createsPerSecond.toFixed(0)} creates/s (p99 ${a.p99Ms} ms, ${a.non2xx} non-2xx); API ${a.apiCpuMsPerCreate.toFixed(2)} ms CPU/create ` +
      `(${a.apiCoresUsed.toFixed(2)} cores), Postgres ${a.postgresCpuMsPerCreate.toFixed(2)} ms, Redis ${a.redisCpuMsPerCreate.toFixed(2)} ms ` +
      `and ${a.redisCommandsPerCreate.toFixed(1)} commands (${a.redisScriptsPerCreate.toFixed(1)} scripts)`,
  );
  console.log(
    `   per create: ${a.perCreate.xactCommit} commits, ${a.perCreate.xactRollback} rollbacks, ${a.perCreate.tupInserted} rows inserted, ` +
      `${a.perCreate.tupUpdated} updated; pool peak ${a.peakConnections.open} open / ${a.peakConnections.active} active of ${a.poolMax}; waits ${JSON.stringify(a.postgresWaits)}`,
  );
  console.log(`\n3. one worker process, attempts all due at once`);
  for (const w of workers)
    console.log(
      `   target ${w.targetDelayMs} ms, concurrency ${w.concurrency}, ${w.attempts} attempts: ${w.attemptsPerSecond.toFixed(0)} attempts/s using ${w.workerCoresUsed.toFixed(2)} cores; ` +
        `worker ${w.workerCpuMsPerAttempt.toFixed(2)} ms CPU/attempt = ${w.attemptsPerWorkerCpuSecond.toFixed(0)} attempts per CPU-second; ` +
        `Postgres ${w.postgresCpuMsPerAttempt.toFixed(2)} ms, Redis ${w.redisCpuMsPerAttempt.toFixed(2)} ms, the target ${w.targetCpuMsPerAttempt.toFixed(2)} ms ` +
        `(${w.redisCommandsPerAttempt.toFixed(1)} commands, ${w.redisScriptsPerAttempt.toFixed(1)} scripts); per attempt ${w.perAttempt.xactCommit} commits, ${w.perAttempt.tupInserted} inserted, ` +
        `${w.perAttempt.tupUpdated} updated; pool peak ${w.peakConnections.open} open / ${w.peakConnections.active} active of ${w.poolMax}; ` +
        `waits ${JSON.stringify(w.postgresWaits)}; tables ${JSON.stringify(w.tables)}; ` +
        `RSS peak ${w.peakRssMiB?.toFixed(0) ?? '?'} MiB; ${w.succeededLogs} succeeded logs, ${w.distinctRuns} runs` +
        `${w.timedOut ? ' (TIMED OUT)' : ''}\n` +
        `     a slot's ${w.cycle.cycleMs.toFixed(1)} ms per attempt: waiting for the claim ${w.cycle.claimMs.toFixed(1)} ms, the call ` +
        `${w.cycle.callMs.toFixed(1)} ms, waiting for the record ${w.cycle.recordMs.toFixed(1)} ms; the rest (BullMQ's fetch and finish, ` +
        `the event loop's queue) ${(w.cycle.cycleMs - w.cycle.claimMs - w.cycle.callMs - w.cycle.recordMs).toFixed(1)} ms`,
    );

  const { databaseUrl: _databaseUrl, ...sizes } = options;
  const file = await writeResults('scaling-', startedAt, {
    startedAt,
    finishedAt: new Date(),
    machine,
    foreignCpu,
    options: sizes,
    redisMemory,
    api: a,
    workers,
  });
  console.log(`\nResults: ${file}`);
  const problems = [
    ...(a.non2xx > 0 ? [`the API answered ${a.non2xx} creates with other than 201 (or not at all)`] : []),
    ...workers.flatMap((w) =>
      w.timedOut || w.succeededLogs !== w.attempts || w.distinctRuns !== w.attempts
        ? [
            `concurrency ${w.concurrency}, target ${w.targetDelayMs} ms: ${w.succeededLogs} succeeded logs and ${w.distinctRuns} runs for ${w.attempts} attempts${w.timedOut ? ', timed out' : ''}`,
          ]
        : [],
    ),
  ];
  for (const problem of problems) console.log(`PROBLEM: ${problem}`);
  return problems.length === 0;
}

runBenchMain('scaling', 'stopping processes and servers, dropping the database', main);
