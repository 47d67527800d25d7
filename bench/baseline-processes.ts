import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { JOBS } from '@punctual/queue';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type pg from 'pg';
import type { BenchEnvironment } from './bench-environment.js';
import type { Teardown } from './bench-main.js';

/** A baseline script running as a process of its own, read through the JSON lines it prints. */
export interface BaselineProcess {
  name: string;
  pid: number;
  /** Resolves with the first line `{"event": <event>, ...}`; rejects when the process exits first or after `timeoutMs`. */
  waitForEvent(event: string, timeoutMs: number): Promise<Record<string, unknown>>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it is gone. */
  stop(): Promise<void>;
}

/** What baseline C writes, and what baseline A inserts into: tables of their own in the bench's database. */
const BASELINE_TABLES = `
  CREATE TABLE IF NOT EXISTS baseline_tasks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    url text NOT NULL,
    method text NOT NULL,
    body jsonb,
    scheduled_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    run_count integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE IF NOT EXISTS baseline_logs (
    id bigserial PRIMARY KEY,
    task_id uuid NOT NULL,
    run_id uuid NOT NULL,
    status_code integer,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now()
  )`;

const BASELINES_DIR = fileURLToPath(new URL('./baselines/', import.meta.url));

/** Same guard as the Punctual processes': when the bench goes away without stopping it, the baseline kills itself. */
const ORPHAN_GUARD =
  'data:text/javascript,' +
  encodeURIComponent(
    "if (process.channel) { process.channel.unref(); process.once('disconnect', () => process.kill(process.pid, 'SIGKILL')); }",
  );

/** Baseline A, the bare create route, on a free port; stopped by `teardown`. Returns its base URL. */
export async function startBaselineRoute(environment: BenchEnvironment, teardown: Teardown): Promise<{ url: string; pid: number }> {
  await environment.pool.query(BASELINE_TABLES);
  const route = spawnBaseline('baseline A', 'create-route.ts', {
    DATABASE_URL: environment.databaseUrl,
    REDIS_URL: environment.processEnv.REDIS_URL!,
    QUEUE_PREFIX: environment.queuePrefix,
    QUEUE_NAME: 'baseline-a',
  });
  teardown.push(() => route.stop());
  const listening = await route.waitForEvent('listening', 30_000);
  return { url: String(listening.url), pid: route.pid };
}

/** The path of the target that the drain baselines call. */
export const BASELINE_TARGET_PATH = '/ok/baseline';

/** What one baseline drain measured: from its first job's start to its last job's completion, in its own clock. */
export interface BaselineDrain {
  jobs: number;
  firstStartedAt: number;
  lastCompletedAt: number;
  perSecond: number;
}

/**
 * Baseline B (`writes: 'none'`) or C (`'log-and-task'`) draining `jobs` due jobs: seeds a task row and an ids-only job
 * for each (the same job options as Punctual's attempts), then starts the worker and waits until it reports them all
 * done (at most `timeoutMs`). The worker is stopped before this returns.
 */
export async function runBaselineDrain(options: {
  environment: BenchEnvironment;
  teardown: Teardown;
  writes: 'none' | 'log-and-task';
  jobs: number;
  targetUrl: string;
  timeoutMs: number;
}): Promise<BaselineDrain> {
  const { environment, jobs } = options;
  const queueName = `baseline-${options.writes}`;
  await seedBaselineJobs(environment, queueName, jobs);
  const worker = spawnBaseline(options.writes === 'none' ? 'baseline B' : 'baseline C', 'drain-worker.ts', {
    DATABASE_URL: environment.databaseUrl,
    REDIS_URL: environment.processEnv.REDIS_URL!,
    QUEUE_PREFIX: environment.queuePrefix,
    QUEUE_NAME: queueName,
    TARGET_URL: `${options.targetUrl}${BASELINE_TARGET_PATH}/${options.writes}`,
    JOBS: String(jobs),
    BASELINE_WRITES: options.writes,
  });
  options.teardown.push(() => worker.stop());
  try {
    const drained = await worker.waitForEvent('drained', options.timeoutMs);
    const firstStartedAt = Number(drained.firstStartedAt);
    const lastCompletedAt = Number(drained.lastCompletedAt);
    return { jobs, firstStartedAt, lastCompletedAt, perSecond: jobs / ((lastCompletedAt - firstStartedAt) / 1_000) };
  } finally {
    await worker.stop();
  }
}

/** `count` pending rows in `baseline_tasks` and a due job for each in `queueName`, added in batches as the API would. */
async function seedBaselineJobs(environment: BenchEnvironment, queueName: string, count: number): Promise<void> {
  const { pool } = environment;
  await pool.query(BASELINE_TABLES);
  const ids = await insertBaselineTasks(pool, count);
  const connection = new Redis(environment.processEnv.REDIS_URL!, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection, prefix: environment.queuePrefix });
  try {
    for (let start = 0; start < ids.length; start += 1_000) {
      await queue.addBulk(
        ids.slice(start, start + 1_000).map((id) => ({
          name: 'task-attempt',
          data: { taskId: id, runId: randomUUID(), version: 1 },
          opts: { ...JOBS['task-attempt'].options, jobId: `${id}.1` },
        })),
      );
    }
  } finally {
    await queue.close();
    await connection.quit();
  }
}

async function insertBaselineTasks(pool: pg.Pool, count: number): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO baseline_tasks (name, url, method, body, scheduled_at)
     SELECT 'baseline ' || g, 'http://127.0.0.1/ok', 'POST', '{"hello":"world"}', now() FROM generate_series(1, $1::int) AS g
     RETURNING id`,
    [count],
  );
  return rows.map((row) => row.id);
}

/** Runs `bench/baselines/<file>` with plain node (Node 24 strips the types), outside any test runner's environment. */
function spawnBaseline(name: string, file: string, env: Record<string, string>): BaselineProcess {
  const child = spawn(process.execPath, ['--import', ORPHAN_GUARD, `${BASELINES_DIR}${file}`], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const events: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('close', () => {
      exited = true;
      for (const listener of listeners) listener();
      resolve();
    }),
  );
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('{')) events.push(JSON.parse(line) as Record<string, unknown>);
    }
    for (const listener of listeners) listener();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });

  return {
    name,
    pid: child.pid ?? -1,
    waitForEvent(event, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`${name}: no "${event}" within ${timeoutMs} ms. Output:\n${output}`)), timeoutMs);
        const check = (): void => {
          const found = events.find((line) => line.event === event);
          if (found) finish(null, found);
          else if (exited) finish(new Error(`${name} exited before "${event}". Output:\n${output}`));
        };
        const finish = (error: Error | null, found?: Record<string, unknown>): void => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve(found!);
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
