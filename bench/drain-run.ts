import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskAttemptJob, TaskQueue, Redis } from '@punctual/queue';
import type { TargetServer } from '@punctual/testing';
import type pg from 'pg';
import { processCpuSeconds, redisCpuSeconds, type BackendReading } from './scaling-probes.js';
import { enqueueDue } from './seed-tasks.js';

/** What draining a set of due tasks measured. CPU figures are per attempt, over the steady window. */
export interface DrainResult {
  attempts: number;
  /** From the first call at the target to the last success recorded in `task_logs`. */
  drainSeconds: number;
  /** attempts / drainSeconds. */
  attemptsPerSecond: number;
  /** Between 10 % and 90 % of the calls: the steady state, without start-up and tail. */
  windowSeconds: number;
  windowAttemptsPerSecond: number;
  /** CPUs' worth the worker processes used in the window, together (1 = one whole core). */
  workerCoresUsed: number;
  workerCpuMsPerAttempt: number;
  /** The Postgres backends of the processes under test (every connection to the database but the bench's own). */
  postgresCpuMsPerAttempt: number;
  /** NaN without Redis (the Postgres queue backend). */
  redisCpuMsPerAttempt: number;
  succeededLogs: number;
  distinctRuns: number;
  duplicateCalls: number;
  timedOut: boolean;
}

interface Sample {
  at: number;
  hits: number;
  workerCpu: number;
  postgresCpu: number;
  redisCpu: number;
}

/** Connections of the bench itself (setup pool, monitor), whose backends are not the system's cost. */
const BENCH_APPLICATIONS = new Set(['punctual-bench', 'punctual-scaling']);
const SAMPLE_INTERVAL_MS = 250;
/** How long after the last call the bench waits for every success to be in `task_logs`. */
const RECORDING_GRACE_MS = 30_000;

/**
 * Enqueues the jobs of `jobs` (tasks seeded due, calling `target` under `path`) for workers that are already running,
 * samples the target's hits and the CPU time of the workers, Postgres' backends and Redis until every task was called,
 * then checks `task_logs` for one success per task and the target for repeated runs.
 */
export async function drainDueTasks(options: {
  pool: pg.Pool;
  queue: TaskQueue;
  target: TargetServer;
  path: string;
  jobs: readonly TaskAttemptJob[];
  workerPids: readonly number[];
  readBackends: () => Promise<BackendReading>;
  redis: Redis | null;
}): Promise<DrainResult> {
  const { target, path, jobs } = options;
  const count = jobs.length;
  const take = async (): Promise<Sample> => {
    const cpus = await Promise.all(options.workerPids.map((pid) => processCpuSeconds(pid)));
    const backends = await options.readBackends();
    let postgresCpu = 0;
    for (const [app, seconds] of backends.cpuSeconds) if (!BENCH_APPLICATIONS.has(app)) postgresCpu += seconds;
    return {
      at: Date.now(),
      hits: target.hitsFor(path).length,
      workerCpu: cpus.reduce<number>((sum, cpu) => sum + (cpu ?? Number.NaN), 0),
      postgresCpu,
      redisCpu: options.redis ? await redisCpuSeconds(options.redis) : Number.NaN,
    };
  };

  const samples: Sample[] = [await take()];
  await enqueueDue(options.queue, jobs);
  const deadline = Date.now() + 60_000 + count * 20;
  let timedOut = false;
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
  // Time for the last attempts to be recorded (on a loaded machine, seconds after their calls), and for an extra
  // (duplicate) call to show up, were there one.
  const readLogs = async (): Promise<{ succeeded: number; runs: number; last_finished: Date | null }> => {
    const { rows } = await options.pool.query<{ succeeded: number; runs: number; last_finished: Date | null }>(
      `SELECT count(*) FILTER (WHERE outcome = 'succeeded')::int AS succeeded,
              count(DISTINCT run_id) FILTER (WHERE outcome = 'succeeded')::int AS runs,
              max(finished_at) FILTER (WHERE outcome = 'succeeded') AS last_finished
         FROM task_logs WHERE task_id = ANY($1::uuid[])`,
      [jobs.map((job) => job.taskId)],
    );
    return rows[0]!;
  };
  const recordedBy = Date.now() + RECORDING_GRACE_MS;
  await sleep(1_000);
  let logs = await readLogs();
  while (logs.succeeded < count && Date.now() < recordedBy) {
    await sleep(SAMPLE_INTERVAL_MS);
    logs = await readLogs();
  }
  const hits = target.hitsFor(path);
  const firstHit = Math.min(...hits.map((hit) => hit.receivedAt.getTime()));
  const drainSeconds = logs.last_finished ? (logs.last_finished.getTime() - firstHit) / 1_000 : Number.NaN;
  const runIds = new Set(hits.map((hit) => String(hit.headers['punctual-run-id'])));

  const first = samples.find((sample) => sample.hits >= count * 0.1) ?? samples[0]!;
  const last = samples.find((sample) => sample.hits >= count * 0.9) ?? samples.at(-1)!;
  const windowSeconds = (last.at - first.at) / 1_000;
  const done = last.hits - first.hits;
  // A drain shorter than two samples has no window (tiny sizes): NaN rather than a division by zero.
  const perAttempt = (seconds: number): number => (done > 0 ? (seconds * 1_000) / done : Number.NaN);
  return {
    attempts: count,
    drainSeconds,
    attemptsPerSecond: count / drainSeconds,
    windowSeconds,
    windowAttemptsPerSecond: windowSeconds > 0 ? done / windowSeconds : Number.NaN,
    workerCoresUsed: windowSeconds > 0 ? (last.workerCpu - first.workerCpu) / windowSeconds : Number.NaN,
    workerCpuMsPerAttempt: perAttempt(last.workerCpu - first.workerCpu),
    postgresCpuMsPerAttempt: perAttempt(last.postgresCpu - first.postgresCpu),
    redisCpuMsPerAttempt: perAttempt(last.redisCpu - first.redisCpu),
    succeededLogs: logs.succeeded,
    distinctRuns: logs.runs,
    duplicateCalls: hits.length - runIds.size,
    timedOut,
  };
}
