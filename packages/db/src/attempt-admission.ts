import { SCHEDULED_STATUSES } from '@punctual/scheduling';
import type { Kysely } from 'kysely';
import { executePrepared, preparedStatement } from './connection.js';
import type { Database, TaskRow } from './schema.js';

/**
 * What a worker reads of a task before it claims an attempt: whose it is, its limits (flowControl), and what decides
 * whether the occurrence still runs (misfire). Nothing is written: an attempt that must wait is not claimed.
 */
export type AttemptToAdmit = Pick<
  TaskRow,
  'id' | 'user_id' | 'version' | 'status' | 'attempts' | 'next_run_at' | 'cron' | 'timezone' | 'misfire' | 'flow_control' | 'timeout_ms'
>;

const SCHEDULED = SCHEDULED_STATUSES.map((status) => `'${status}'`).join(', ');

export const PEEK_ATTEMPTS = preparedStatement(
  'punctual_peek_attempts',
  `SELECT id, user_id, version, status, attempts, next_run_at, cron, timezone, misfire, flow_control, timeout_ms
   FROM tasks WHERE id = ANY ($1::uuid[]) AND status IN (${SCHEDULED})`,
);

/**
 * The tasks of several jobs in one statement, one result per job in order: null when the job is stale (the task is
 * gone, not waiting, or at another version), so a stale job costs no claim.
 */
export async function peekAttempts(
  db: Kysely<Database>,
  jobs: readonly { taskId: string; version: number }[],
): Promise<(AttemptToAdmit | null)[]> {
  if (jobs.length === 0) return [];
  const rows = await executePrepared<AttemptToAdmit>(db, PEEK_ATTEMPTS, [jobs.map((job) => job.taskId)]);
  const byTask = new Map(rows.map((row) => [row.id, row]));
  return jobs.map((job) => {
    const row = byTask.get(job.taskId);
    return row && row.version === job.version ? row : null;
  });
}

/**
 * Moves a waiting task past occurrences it missed (misfire `skip`): its next run is at `nextRunAt`, its version moves
 * on so the job queued for the missed one is stale. Fenced by the version read before: null when the task changed
 * meanwhile (then whoever changed it has queued what is due).
 */
export async function skipMissedOccurrences(
  db: Kysely<Database>,
  task: Pick<AttemptToAdmit, 'id' | 'version'>,
  nextRunAt: Date,
): Promise<Pick<TaskRow, 'id' | 'user_id' | 'run_id' | 'version' | 'status' | 'next_run_at'> | null> {
  const row = await db
    .updateTable('tasks')
    .set((eb) => ({ next_run_at: nextRunAt, version: eb('version', '+', 1), updated_at: new Date() }))
    .where('id', '=', task.id)
    .where('version', '=', task.version)
    .where('status', 'in', SCHEDULED_STATUSES)
    .returning(['id', 'user_id', 'run_id', 'version', 'status', 'next_run_at'])
    .executeTakeFirst();
  return row ?? null;
}
