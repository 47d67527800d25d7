import { setTimeout as sleep } from 'node:timers/promises';
import { startApi, startTargetServer, startWorker, type PunctualProcess } from '@punctual/testing';
import { logIn, registerUser } from './api-session.js';
import { createBenchEnvironment } from './bench-environment.js';
import { runBenchMain, writeResults, type Teardown } from './bench-main.js';
import { readBenchOptions, type BenchOptions } from './bench-options.js';
import { runDispatch, type DispatchResult } from './dispatch.js';
import { farFutureTask, runCreateLoad, runLoad, type LoadResult } from './http-load.js';
import { startForeignCpuMeter } from './foreign-cpu-meter.js';
import { describeMachine } from './machine.js';
import { measureQueryCost, type QueryCostResult } from './query-cost.js';
import { formatTable, verdictOf, type Measurement } from './results-table.js';
import { startRssSampler } from './rss-sampler.js';

/**
 * What Punctual must reach on the reference machine: 2 cores running the API, the workers, Postgres, Redis, the
 * target and the load generator all at once (so every number here is shared six ways). A miss makes `pnpm bench`
 * exit 1. They are floors to defend against regressions, set a little below what that machine measures; dedicated
 * hardware does several times better.
 */
const TARGETS = {
  /** POST /api/v1/tasks under load (a task row, then a delayed job). */
  createP99Ms: 200,
  createPerSecond: 300,
  /** GET /api/v1/tasks?limit=20 and GET /api/v1/tasks/:id/status under load. */
  listP99Ms: 500,
  statusP99Ms: 100,
  /** A burst of BENCH_TASKS due at one instant, 2 workers: tasks per second from due to the last success. */
  dispatchPerSecond: 200,
  /** How late the first call of the burst is: the scheduler's own delay, before any queueing. */
  burstFirstLatenessMs: 1_000,
  /** Tasks due at a pace below capacity: every call at its time, give or take. */
  steadyP99LatenessMs: 2_000,
  /** Both run the compiled output with plain node (`pnpm bench` builds first), as production does. */
  apiRssMiB: 400,
  workerRssMiB: 200,
  /** A page of GET /api/v1/tasks with ≥ 100k tasks in the database, for a user and for an admin. */
  listWithManyTasksP50Ms: 50,
} as const;

const log = (message: string): void => console.error(`[bench] ${message}`);

async function main(teardown: Teardown): Promise<boolean> {
  const options = readBenchOptions();
  const startedAt = new Date();
  const foreignCpuMeter = startForeignCpuMeter();
  log('creating a database and a queue prefix of its own');
  const environment = await createBenchEnvironment(options);
  teardown.push(() => environment.cleanup());
  const machine = await describeMachine(environment.pool, options.redisUrl);

  const target = await startTargetServer();
  teardown.push(() => target.close());

  log(`starting the API and ${options.workers} worker(s)`);
  const workerEnv = { ...environment.processEnv, WORKER_CONCURRENCY: String(options.workerConcurrency) };
  const started = await Promise.allSettled([
    startApi(environment.processEnv),
    ...Array.from({ length: options.workers }, (_, index) => startWorker(workerEnv, { name: `worker-${index + 1}` })),
  ]);
  const processes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  teardown.push(() => Promise.all(processes.map((child) => child.stop())));
  const failedStart = started.find((result) => result.status === 'rejected');
  if (failedStart) throw failedStart.reason;
  const api = processes[0] as PunctualProcess & { url: string };
  const workers = processes.slice(1);

  const rss = startRssSampler(processes.map((child) => child.pid));
  teardown.push(async () => rss.stop());
  await sleep(2_000);
  const idleRss = { api: await rss.read(api.pid), workers: await Promise.all(workers.map((worker) => rss.read(worker.pid))) };
  const loadStartedAt = Date.now();

  const admin = await logIn(api.url, environment.adminEmail, environment.adminPassword);
  const loader = await registerUser(api.url);

  log(`1. POST /api/v1/tasks for ${options.createSeconds} s, ${options.connections} connections`);
  const create = await runCreateLoad(api.url, loader.headers, farFutureTask('bench create', `${target.url}/ok/create`), {
    connections: options.connections,
    seconds: options.createSeconds,
  });

  log(`2. GET /api/v1/tasks?limit=20 and GET /api/v1/tasks/:id/status, ${options.readSeconds} s each`);
  const list = await runLoad({
    url: `${api.url}/api/v1/tasks?limit=20`,
    headers: loader.headers,
    connections: options.connections,
    seconds: options.readSeconds,
  });
  const ids = (
    await environment.pool.query<{ id: string }>('SELECT id FROM tasks WHERE user_id = $1 LIMIT 1000', [loader.userId])
  ).rows.map((row) => row.id);
  const status = await runLoad({
    url: `${api.url}/api/v1/tasks/${ids[0]}/status`,
    headers: loader.headers,
    connections: options.connections,
    seconds: options.readSeconds,
    path: () => `/api/v1/tasks/${ids[Math.floor(Math.random() * ids.length)]}/status`,
  });

  log(`3. ${options.burstTasks} tasks due at one instant, ${options.workers} workers × ${options.workerConcurrency}`);
  const dispatchStartedAt = Date.now();
  const createRate = create.requestsPerSecond;
  const burst = await runDispatch({
    session: await registerUser(api.url),
    pool: environment.pool,
    target,
    label: 'burst',
    count: options.burstTasks,
    spreadMs: 0,
    createRate,
    createConcurrency: options.connections,
  });
  log(`3b. ${options.steadyTasks} tasks due evenly over ${options.steadySeconds} s`);
  const steady = await runDispatch({
    session: await registerUser(api.url),
    pool: environment.pool,
    target,
    label: 'steady',
    count: options.steadyTasks,
    spreadMs: options.steadySeconds * 1_000,
    createRate,
    createConcurrency: options.connections,
  });
  const dispatchEndedAt = Date.now();
  const peakWorkerRss = workers.map((worker) => rss.peak(worker.pid, dispatchStartedAt, dispatchEndedAt));
  // Done with the workers: their maintenance loop would otherwise run over the seeded tasks while the queries are timed.
  const workerExits = await Promise.all(workers.map((worker) => worker.stop()));
  if (workerExits.some((code) => code !== 0)) log(`a worker exited with ${workerExits.join(', ')} on SIGTERM`);

  log(`5. list queries over ${options.seedTasks} seeded tasks, ${options.querySamples} requests each`);
  const queryCost = await measureQueryCost({
    pool: environment.pool,
    user: await registerUser(api.url),
    admin,
    seedTasks: options.seedTasks,
    seedUsers: options.seedUsers,
    samples: options.querySamples,
  });
  const peakApiRss = rss.peak(api.pid, loadStartedAt);

  const measurements = measure({ create, list, status, burst, steady, idleRss, peakApiRss, peakWorkerRss, queryCost, options });
  const passed = measurements.every((measurement) => verdictOf(measurement) !== 'FAIL');
  const foreignCpu = await foreignCpuMeter.stop();

  console.log(
    `\nPunctual benchmarks: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
      `Postgres ${machine.postgres}, Redis ${machine.redis}`,
  );
  console.log(
    `Other programs used ${foreignCpu.averageCores.toFixed(2)} of ${machine.cpus} CPUs on average during the run` +
      `${foreignCpu.averageCores > 0.2 ? ': the machine was shared, so the numbers are lower than it can do' : ''}.\n`,
  );
  console.log(formatTable(measurements));
  const { databaseUrl: _databaseUrl, redisUrl: _redisUrl, ...sizes } = options;
  const file = await writeResults('', startedAt, {
    startedAt,
    finishedAt: new Date(),
    machine,
    foreignCpu,
    options: sizes,
    targets: TARGETS,
    passed,
    measurements: measurements.map((measurement) => ({ ...measurement, verdict: verdictOf(measurement) })),
    raw: { create, list, status, burst, steady, idleRss, peakApiRss, peakWorkerRss, queryCost },
  });
  console.log(`\n${passed ? 'All targets met.' : 'Some targets were missed.'} Results: ${file}`);
  return passed;
}

/** The rows of the results table, from the raw results. */
function measure(results: {
  create: LoadResult;
  list: LoadResult;
  status: LoadResult;
  burst: DispatchResult;
  steady: DispatchResult;
  idleRss: { api: number | null; workers: (number | null)[] };
  peakApiRss: number | null;
  peakWorkerRss: (number | null)[];
  queryCost: QueryCostResult;
  options: BenchOptions;
}): Measurement[] {
  const { create, list, status, burst, steady, queryCost, options } = results;
  const rows: Measurement[] = [];
  const api = (scenario: string, load: LoadResult, p99Target: number, rateTarget?: number): void => {
    rows.push(
      {
        scenario,
        metric: 'requests/s',
        value: load.requestsPerSecond,
        unit: '/s',
        ...(rateTarget ? { target: { op: '>=', value: rateTarget } } : {}),
      },
      { scenario, metric: 'latency p50', value: load.p50Ms, unit: 'ms' },
      { scenario, metric: 'latency p99', value: load.p99Ms, unit: 'ms', target: { op: '<', value: p99Target } },
      { scenario, metric: 'non-2xx + errors', value: load.non2xx + load.errors, unit: '', target: { op: '=', value: 0 } },
    );
  };
  api('1 create', create, TARGETS.createP99Ms, TARGETS.createPerSecond);
  api('2 list', list, TARGETS.listP99Ms);
  api('2 status', status, TARGETS.statusP99Ms);

  const dispatchChecks = (scenario: string, result: DispatchResult): Measurement[] => [
    { scenario, metric: 'successes (task_logs)', value: result.succeededLogs, unit: '', target: { op: '=', value: result.tasks } },
    { scenario, metric: 'distinct runs among them', value: result.succeededRuns, unit: '', target: { op: '=', value: result.tasks } },
    { scenario, metric: 'failed or unfinished logs', value: result.otherLogs, unit: '', target: { op: '=', value: 0 } },
    { scenario, metric: 'duplicate calls at target', value: result.duplicateCalls, unit: '', target: { op: '=', value: 0 } },
    { scenario, metric: 'created before due (1 = yes)', value: result.createdBeforeDue ? 1 : 0, unit: '', target: { op: '=', value: 1 } },
  ];
  const burstScenario = `3 burst ${burst.tasks}`;
  rows.push(
    { scenario: burstScenario, metric: 'created through the API', value: burst.tasks / (burst.createMs / 1_000), unit: '/s' },
    { scenario: burstScenario, metric: 'due → last success', value: burst.drainMs / 1_000, unit: 's' },
    {
      scenario: burstScenario,
      metric: 'dispatched',
      value: burst.tasks / (burst.drainMs / 1_000),
      unit: 'tasks/s',
      target: { op: '>=', value: TARGETS.dispatchPerSecond },
    },
    {
      scenario: burstScenario,
      metric: 'lateness, first call',
      value: burst.lateness.firstMs,
      unit: 'ms',
      target: { op: '<', value: TARGETS.burstFirstLatenessMs },
    },
    { scenario: burstScenario, metric: 'lateness p50', value: burst.lateness.p50Ms, unit: 'ms' },
    { scenario: burstScenario, metric: 'lateness p99', value: burst.lateness.p99Ms, unit: 'ms' },
    ...dispatchChecks(burstScenario, burst),
  );
  const steadyScenario = `3b steady ${steady.tasks}/${options.steadySeconds}s`;
  rows.push(
    { scenario: steadyScenario, metric: 'lateness p50', value: steady.lateness.p50Ms, unit: 'ms' },
    {
      scenario: steadyScenario,
      metric: 'lateness p99',
      value: steady.lateness.p99Ms,
      unit: 'ms',
      target: { op: '<', value: TARGETS.steadyP99LatenessMs },
    },
    { scenario: steadyScenario, metric: 'lateness max', value: steady.lateness.maxMs, unit: 'ms' },
    ...dispatchChecks(steadyScenario, steady),
  );

  rows.push(
    { scenario: '4 memory', metric: 'API RSS idle', value: results.idleRss.api, unit: 'MiB' },
    { scenario: '4 memory', metric: 'API RSS peak', value: results.peakApiRss, unit: 'MiB', target: { op: '<', value: TARGETS.apiRssMiB } },
  );
  results.idleRss.workers.forEach((idle, index) => {
    rows.push(
      { scenario: '4 memory', metric: `worker ${index + 1} RSS idle`, value: idle, unit: 'MiB' },
      {
        scenario: '4 memory',
        metric: `worker ${index + 1} RSS peak (3)`,
        value: results.peakWorkerRss[index] ?? null,
        unit: 'MiB',
        target: { op: '<', value: TARGETS.workerRssMiB },
      },
    );
  });

  const queryScenario = `5 list, ${Math.round(queryCost.tasks / 1_000)}k tasks`;
  for (const timing of queryCost.timings) {
    const targeted = timing.name === 'user, newest first' || timing.name === 'admin, newest first';
    rows.push({
      scenario: queryScenario,
      metric: `${timing.name} p50`,
      value: timing.p50Ms,
      unit: 'ms',
      ...(targeted ? { target: { op: '<', value: TARGETS.listWithManyTasksP50Ms } } : {}),
    });
  }
  return rows;
}

runBenchMain('bench', 'stopping processes, dropping the database, deleting the queue keys', main);
