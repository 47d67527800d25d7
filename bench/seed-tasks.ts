import type { TaskAttemptJob, TaskQueue } from '@punctual/queue';
import pg from 'pg';
import type { ApiSession } from './api-session.js';

/** Creates one task through the API, for the seeders to copy: a row exactly as the API writes it. Returns its id. */
export async function createTemplateTask(session: ApiSession, task: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${session.baseUrl}/api/v1/tasks`, { method: 'POST', headers: session.headers, body: JSON.stringify(task) });
  if (response.status !== 201) throw new Error(`POST /api/v1/tasks: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

/** The columns of `tasks` a seeder copies from the template: all but the generated ones and those in `overridden`. */
export async function copiedTaskColumns(client: pg.Pool | pg.Client, overridden: readonly string[]): Promise<string[]> {
  const { rows } = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'tasks' AND is_generated = 'NEVER' ORDER BY ordinal_position`,
  );
  return rows
    .map((row) => row.column_name)
    .filter((name) => !overridden.includes(name))
    .map((name) => pg.escapeIdentifier(name));
}

/**
 * Copies the template task `count` times as `pending`, due now, calling `url`: rows exactly as the API writes them,
 * without the API's cost, then (unless `analyze` is false) vacuums and analyzes `tasks` as autovacuum would. Returns
 * their jobs (not enqueued: see `enqueueDue`).
 */
export async function seedDueTasks(
  pool: pg.Pool | pg.Client,
  templateId: string,
  url: string,
  count: number,
  options: { analyze?: boolean } = {},
): Promise<TaskAttemptJob[]> {
  const overridden = ['id', 'run_id', 'status', 'version', 'next_run_at', 'url'];
  const columns = await copiedTaskColumns(pool, overridden);
  const { rows } = await pool.query<{ id: string; run_id: string; version: number }>(
    `INSERT INTO tasks (${columns.join(', ')}, run_id, status, version, next_run_at, url)
     SELECT ${columns.map((column) => `t.${column}`).join(', ')}, gen_random_uuid(), 'pending', 1, now(), $3
       FROM tasks t, generate_series(1, $2::int) AS g WHERE t.id = $1
     RETURNING id, run_id, version`,
    [templateId, count, url],
  );
  if (options.analyze ?? true) await pool.query('VACUUM ANALYZE tasks, task_tags, task_search');
  return rows.map((row) => ({ taskId: row.id, runId: row.run_id, version: row.version }));
}

/** Adds the jobs of due tasks to the queue, as the API does after its commit (1,000 a round trip). */
export async function enqueueDue(queue: TaskQueue, jobs: readonly TaskAttemptJob[]): Promise<void> {
  for (let index = 0; index < jobs.length; index += 1_000)
    await queue.enqueueAttempts(jobs.slice(index, index + 1_000).map((job) => ({ job, runAt: null })));
}
