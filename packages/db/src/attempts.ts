import type { AttemptOutcome, TaskStatus } from '@punctual/scheduling';
import { type Kysely, sql } from 'kysely';
import type { Database, TaskRow } from './schema.js';

export interface ClaimedAttempt {
  task: TaskRow;
  /** The `task_logs` row opened for this attempt. */
  logId: string;
  /** 1-based number of this attempt within its run. */
  attempt: number;
}

/**
 * Claims the next attempt of a task for a worker: only when the job's version is still current and the task is
 * waiting (`pending`/`retrying`). Marks it `running` under a lease and opens the attempt's log row, in one transaction.
 * Returns null for a stale job (rescheduled, paused, cancelled, deleted, or already claimed): make no call.
 */
export async function claimAttempt(
  db: Kysely<Database>,
  claim: { taskId: string; version: number; workerId: string; leaseMarginMs: number },
): Promise<ClaimedAttempt | null> {
  return db.transaction().execute(async (trx) => {
    const task = await trx
      .updateTable('tasks')
      .set({
        status: 'running',
        attempts: sql`attempts + 1`,
        // The lease outlives the attempt's own deadline by a margin: a live worker always finishes before it lapses.
        lease_expires_at: sql`now() + (timeout_ms + ${claim.leaseMarginMs}) * interval '1 millisecond'`,
        updated_at: sql`now()`,
      })
      .where('id', '=', claim.taskId)
      .where('version', '=', claim.version)
      .where('status', 'in', ['pending', 'retrying'])
      .returningAll()
      .executeTakeFirst();
    if (!task) return null;
    const log = await trx
      .insertInto('task_logs')
      .values({
        task_id: task.id,
        user_id: task.user_id,
        run_id: task.run_id,
        attempt: task.attempts,
        scheduled_for: task.next_run_at ?? sql`now()`,
        worker_id: claim.workerId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { task, logId: log.id, attempt: task.attempts };
  });
}

export interface AttemptRecord {
  outcome: AttemptOutcome;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseHeaders: Record<string, string>;
  responseBody: string | null;
  responseTruncated: boolean;
  startedAt: Date;
}

export interface TaskStateAfterAttempt {
  status: TaskStatus;
  nextRunAt: Date | null;
  /** The run is over (success, or attempts used up): count it. */
  runFinished: boolean;
}

/**
 * Closes the attempt's log row and, when the claim still holds (same version, still `running`, same attempt),
 * moves the task to its next state and bumps its version. Both in one transaction.
 * Returns the task's new row, or null when the task was cancelled, deleted or changed meanwhile: its result is dropped,
 * but the attempt stays logged.
 */
export async function finishAttempt(
  db: Kysely<Database>,
  finish: { claimed: ClaimedAttempt; record: AttemptRecord; next: TaskStateAfterAttempt },
): Promise<TaskRow | null> {
  const { claimed, record, next } = finish;
  return db.transaction().execute(async (trx) => {
    const task = await trx
      .updateTable('tasks')
      .set({
        status: next.status,
        next_run_at: next.nextRunAt,
        version: sql`version + 1`,
        lease_expires_at: null,
        run_count: next.runFinished ? sql`run_count + 1` : sql`run_count`,
        last_run_at: record.startedAt,
        last_outcome: record.outcome,
        last_status_code: record.statusCode,
        last_error: record.error,
        updated_at: sql`now()`,
      })
      .where('id', '=', claimed.task.id)
      .where('version', '=', claimed.task.version)
      .where('status', '=', 'running')
      .where('attempts', '=', claimed.attempt)
      .returningAll()
      .executeTakeFirst();
    await trx
      .updateTable('task_logs')
      .set({
        outcome: record.outcome,
        status_code: record.statusCode,
        duration_ms: record.durationMs,
        error: record.error,
        response_headers: JSON.stringify(record.responseHeaders),
        response_body: record.responseBody,
        response_truncated: record.responseTruncated,
        started_at: record.startedAt,
        finished_at: sql`now()`,
        next_retry_at: task && next.status === 'retrying' ? next.nextRunAt : null,
      })
      .where('id', '=', claimed.logId)
      .where('outcome', 'is', null)
      .execute();
    return task ?? null;
  });
}
