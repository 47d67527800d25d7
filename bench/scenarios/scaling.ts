import { availableParallelism } from 'node:os';
import { createRedisTaskQueue } from '@punctual/queue';
import { startApi, startWorker, withDatabase } from '@punctual/testing';
import pg from 'pg';
import { registerUser } from '../api-session.js';
import { drainDueTasks, type DrainResult } from '../drain-run.js';
import { FAR_FUTURE_MS } from '../http-load.js';
import type { Measurement } from '../results-table.js';
import type { Scenario } from '../scenario.js';
import { createBackendReader } from '../scaling-probes.js';
import { createTemplateTask, seedDueTasks } from '../seed-tasks.js';
import { READY, readExtraOptions } from './extra-options.js';
import { startPrivateRedisStack } from './private-redis-stack.js';

const SCENARIO = 'scaling';
/** The machine the model projects to: this many cores for the workers, and a dedicated Postgres with as many. */
const MODEL_CORES = 8;

/** What 8 cores for the workers and a dedicated 8-core Postgres would do, from CPU per attempt measured here. */
export interface ScalingModel {
  workerCores: number;
  postgresCores: number;
  /** Attempts/s each part would carry alone: the workers on their cores, Postgres on its own, Redis on its one thread. */
  workersBound: number;
  postgresBound: number;
  redisBound: number;
  attemptsPerSecond: number;
  bottleneck: 'workers' | 'Postgres' | 'Redis';
}

/**
 * Scale out, measured and modelled: the same drain (BENCH_SCALING_TASKS due tasks against a local target that answers
 * at once) with 1, 2 and 4 worker processes at their default concurrency, on a private `redis-server` (so its CPU is
 * the drain's alone). Per run: attempts per second (between 10 % and 90 % of the calls), per worker process, and the
 * CPU per attempt of the workers, of their Postgres backends and of Redis (from /proc and `INFO cpu`, see
 * scaling-probes.ts). Everything shares this machine's cores, so more processes show contention, not scaling; the
 * model takes the per-attempt CPU of the one-worker run and projects 8 cores of workers and a dedicated 8-core
 * Postgres (linear in cores, commit latency absorbed by group commit, the targets free).
 */
export const SCALING_SCENARIO: Scenario = {
  name: SCENARIO,
  title: 'drain with 1, 2, 4 workers: per process and per core; model of 8 cores + a dedicated Postgres (contention here, not scaling)',
  runs: 1,
  async run(context) {
    const { size, teardown } = context;
    const log = (message: string): void => context.log(message);
    const extra = readExtraOptions(size);
    const { environment, target, redis } = await startPrivateRedisStack(context);
    const queue = createRedisTaskQueue({ connection: redis, prefix: environment.queuePrefix });
    teardown.push(() => queue.close());
    const monitor = new pg.Client({
      connectionString: withDatabase(environment.databaseUrl, 'postgres'),
      application_name: 'punctual-bench',
    });
    await monitor.connect();
    teardown.push(() => monitor.end());
    const databaseName = new URL(environment.databaseUrl).pathname.slice(1);

    // The template comes from the API; the API then stops, so the drains measure the workers alone.
    const api = await startApi(environment.processEnv, READY);
    const templateId = await createTemplateTask(await registerUser(api.url), {
      name: 'scaling template',
      url: `${target.url}/ok/template`,
      method: 'POST',
      body: { hello: 'world' },
      scheduledAt: new Date(Date.now() + FAR_FUTURE_MS).toISOString(),
      maxRetries: 0,
    });
    await api.stop();

    log(`on ${availableParallelism()} cores shared by every process, more workers show contention, not scaling`);
    const runs: { workers: number; drain: DrainResult }[] = [];
    for (const count of extra.scalingWorkers) {
      const path = `/ok/scaling-w${count}/`;
      const jobs = await seedDueTasks(environment.pool, templateId, `${target.url}${path}`, extra.scalingTasks);
      const started = await Promise.allSettled(
        Array.from({ length: count }, (_, index) => startWorker(environment.processEnv, { name: `worker-${index + 1}`, ...READY })),
      );
      const workers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      log(`${count} worker process(es): draining ${extra.scalingTasks} due tasks`);
      try {
        const failed = started.find((result) => result.status === 'rejected');
        if (failed) throw failed.reason;
        const drain = await drainDueTasks({
          pool: environment.pool,
          queue,
          target,
          path,
          jobs,
          workerPids: workers.map((worker) => worker.pid),
          readBackends: createBackendReader(monitor, databaseName),
          redis,
        });
        runs.push({ workers: count, drain });
        log(
          `${count} worker(s): ${drain.windowAttemptsPerSecond.toFixed(0)} attempts/s; CPU per attempt: worker ${drain.workerCpuMsPerAttempt.toFixed(2)} ms, ` +
            `Postgres ${drain.postgresCpuMsPerAttempt.toFixed(2)} ms, Redis ${drain.redisCpuMsPerAttempt.toFixed(2)} ms`,
        );
      } finally {
        await Promise.all(workers.map((worker) => worker.stop()));
      }
    }

    const model = modelOf(runs[0]!.drain);
    log(
      `model, ${MODEL_CORES} cores of workers + a dedicated ${MODEL_CORES}-core Postgres: ${model.attemptsPerSecond.toFixed(0)} attempts/s ` +
        `(workers ${model.workersBound.toFixed(0)}, Postgres ${model.postgresBound.toFixed(0)}, Redis ${model.redisBound.toFixed(0)}; ${model.bottleneck} first)`,
    );
    return { measurements: measurementsOf(runs, model), raw: { runs, model, cores: availableParallelism() } };
  },
};

function modelOf(drain: DrainResult): ScalingModel {
  const bounds = {
    workers: (MODEL_CORES * 1_000) / drain.workerCpuMsPerAttempt,
    Postgres: (MODEL_CORES * 1_000) / drain.postgresCpuMsPerAttempt,
    // Redis runs commands on one thread.
    Redis: 1_000 / drain.redisCpuMsPerAttempt,
  };
  const bottleneck = (Object.keys(bounds) as (keyof typeof bounds)[]).reduce((min, key) => (bounds[key] < bounds[min] ? key : min));
  return {
    workerCores: MODEL_CORES,
    postgresCores: MODEL_CORES,
    workersBound: bounds.workers,
    postgresBound: bounds.Postgres,
    redisBound: bounds.Redis,
    attemptsPerSecond: bounds[bottleneck],
    bottleneck,
  };
}

function measurementsOf(runs: { workers: number; drain: DrainResult }[], model: ScalingModel): Measurement[] {
  const rows: Measurement[] = [];
  for (const { workers, drain } of runs) {
    const scenario = `${SCENARIO} ${workers}w`;
    const stackMs = drain.workerCpuMsPerAttempt + drain.postgresCpuMsPerAttempt + drain.redisCpuMsPerAttempt;
    rows.push(
      { scenario, metric: 'attempts/s', value: drain.windowAttemptsPerSecond, unit: '/s' },
      { scenario, metric: 'attempts/s per worker process', value: drain.windowAttemptsPerSecond / workers, unit: '/s' },
      { scenario, metric: 'worker cores used', value: drain.workerCoresUsed, unit: '' },
      { scenario, metric: 'worker CPU per attempt', value: drain.workerCpuMsPerAttempt, unit: 'ms' },
      { scenario, metric: 'Postgres CPU per attempt', value: drain.postgresCpuMsPerAttempt, unit: 'ms' },
      { scenario, metric: 'Redis CPU per attempt', value: drain.redisCpuMsPerAttempt, unit: 'ms' },
      { scenario, metric: 'attempts per worker CPU-second', value: 1_000 / drain.workerCpuMsPerAttempt, unit: '/s' },
      { scenario, metric: 'attempts per CPU-second, whole stack', value: 1_000 / stackMs, unit: '/s' },
      { scenario, metric: 'successes', value: drain.succeededLogs, unit: '', target: { op: '=', value: drain.attempts } },
      { scenario, metric: 'duplicate calls', value: drain.duplicateCalls, unit: '', target: { op: '=', value: 0 } },
    );
  }
  const scenario = `${SCENARIO} model`;
  rows.push(
    { scenario, metric: `${MODEL_CORES} worker cores alone`, value: model.workersBound, unit: '/s' },
    { scenario, metric: `dedicated ${MODEL_CORES}-core Postgres alone`, value: model.postgresBound, unit: '/s' },
    { scenario, metric: 'Redis (one thread) alone', value: model.redisBound, unit: '/s' },
    { scenario, metric: `all together (${model.bottleneck} first)`, value: model.attemptsPerSecond, unit: '/s' },
  );
  return rows;
}
