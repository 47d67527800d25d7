// Baselines B and C: a bare BullMQ worker (concurrency 50) whose processor makes one undici request to the target.
// B writes nothing; C (BASELINE_WRITES=log-and-task) then writes a log row and updates the task row with two autocommit
// statements, the least a scheduler that keeps its state in Postgres must do. Not part of the product; `pnpm bench`
// seeds the jobs, starts it with plain `node` and compares its drain with Punctual's worker.
//
// Environment: REDIS_URL, QUEUE_PREFIX, QUEUE_NAME, TARGET_URL, JOBS (how many to expect), BASELINE_WRITES, and
// DATABASE_URL for C. It prints JSON lines: {"event":"ready"}, then {"event":"drained",...} once JOBS jobs completed.
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { request } from 'undici';

interface AttemptJob {
  taskId: string;
  runId: string;
  version: number;
}

const env = process.env;
const expected = Number(env.JOBS);
const targetUrl = env.TARGET_URL!;
const writes = env.BASELINE_WRITES === 'log-and-task';
const pool = writes ? new pg.Pool({ connectionString: env.DATABASE_URL, max: 10 }) : null;
const connection = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });

let firstStartedAt: number | null = null;
let completed = 0;

async function attempt(job: Job<AttemptJob>): Promise<void> {
  const startedAt = new Date();
  firstStartedAt ??= startedAt.getTime();
  const { taskId, runId } = job.data;
  const response = await request(`${targetUrl}?task=${taskId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"hello":"world"}',
  });
  await response.body.dump();
  if (pool) {
    await pool.query('INSERT INTO baseline_logs (task_id, run_id, status_code, started_at) VALUES ($1, $2, $3, $4)', [
      taskId,
      runId,
      response.statusCode,
      startedAt,
    ]);
    await pool.query("UPDATE baseline_tasks SET status = 'completed', run_count = run_count + 1, updated_at = now() WHERE id = $1", [
      taskId,
    ]);
  }
}

const worker = new Worker<AttemptJob>(env.QUEUE_NAME ?? 'baseline-drain', attempt, {
  connection,
  prefix: env.QUEUE_PREFIX ?? 'bull',
  concurrency: 50,
});
worker.on('error', () => {});
worker.on('completed', () => {
  completed += 1;
  if (completed === expected) {
    console.log(JSON.stringify({ event: 'drained', jobs: completed, firstStartedAt, lastCompletedAt: Date.now() }));
  }
});
await worker.waitUntilReady();
console.log(JSON.stringify({ event: 'ready' }));

process.once('SIGTERM', () => {
  void worker
    .close()
    .then(() => pool?.end())
    .finally(() => process.exit(0));
});
