import { type AttemptResponse, SCHEDULED_STATUSES, type TaskStatus } from '@punctual/scheduling';
import { type Kysely, type UpdateObject, sql } from 'kysely';
import type { Database, TaskRow } from './schema.js';

export interface ClaimedAttempt {
  task: TaskRow;
  /** The `task_logs` row opened for this attempt. */
  logId: string;
  /** 1-based number of this attempt within its run. */
  attempt: number;
}

/** The task owner's signing secrets, sealed: none yet (`current` null), and the previous one while it still signs. */
export interface SealedSigningSecrets {
  current: string | null;
  previous: string | null;
}

/** A claimed attempt with what it takes to sign its call. */
export interface ClaimedAttemptToSend extends ClaimedAttempt {
  signingSecrets: SealedSigningSecrets;
}

/**
 * Claims the next attempt of a task for a worker: only when the job's version is still current and the task is
 * waiting (`pending`/`retrying`). Marks it `running` under a lease and opens the attempt's log row — one statement,
 * so one round trip and atomic; it also reads the owner's signing secrets. Returns null for a stale job (rescheduled, paused, cancelled, deleted, or already
 * claimed): make no call.
 */
export async function claimAttempt(
  db: Kysely<Database>,
  claim: { taskId: string; version: number; workerId: string; leaseMarginMs: number },
): Promise<ClaimedAttemptToSend | null> {
  const row = await db
    .with('claimed', (cte) =>
      cte
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
        .where('status', 'in', SCHEDULED_STATUSES)
        .returningAll(),
    )
    .with('opened', (cte) =>
      cte
        .insertInto('task_logs')
        .columns(['task_id', 'user_id', 'run_id', 'attempt', 'scheduled_for', 'worker_id'])
        .expression((eb) =>
          eb
            .selectFrom('claimed')
            .select((inner) => [
              'claimed.id',
              'claimed.user_id',
              'claimed.run_id',
              'claimed.attempts',
              inner.fn.coalesce('claimed.next_run_at', sql<Date>`now()`).as('scheduled_for'),
              sql<string>`${claim.workerId}::text`.as('worker_id'),
            ]),
        )
        .returning('id'),
    )
    .selectFrom('claimed')
    .innerJoin('opened', (join) => join.onTrue())
    // The owner's signing secrets come with the claim, so signing costs no round trip and a rotation applies at once.
    .leftJoin('signing_secrets', 'signing_secrets.user_id', 'claimed.user_id')
    .selectAll('claimed')
    .select([
      'opened.id as log_id',
      'signing_secrets.secret as signing_secret',
      sql<string | null>`CASE WHEN signing_secrets.previous_expires_at > now() THEN signing_secrets.previous_secret END`.as(
        'previous_signing_secret',
      ),
    ])
    .executeTakeFirst();
  if (!row) return null;
  const { log_id: logId, signing_secret: current, previous_signing_secret: previous, ...task } = row;
  return { task, logId, attempt: task.attempts, signingSecrets: { current, previous } };
}

/** An attempt's response as its log row records it, and when the attempt started. */
export interface AttemptRecord extends AttemptResponse {
  startedAt: Date;
}

export interface TaskStateAfterAttempt {
  status: TaskStatus;
  nextRunAt: Date | null;
  /** The run is over (success, or attempts used up): count it. */
  runFinished: boolean;
  /** A recurring task's next run: its new run id (its attempt count starts again). A finished one-off keeps its own. */
  nextRunId?: string;
}

/**
 * Closes the attempt's log row and, when the claim still holds (same version, still `running`), moves the task to the
 * state `decide` returns for the row as it is now (its attempt count may have been reset meanwhile) and bumps its
 * version — atomically. Returns the task's new row, or null when the task was cancelled, deleted or changed meanwhile:
 * its result is dropped, but the attempt stays logged.
 *
 * The usual case — nothing touched the task since the claim — is one statement (one round trip); otherwise the row is
 * locked and read again in a transaction.
 */
export async function finishAttempt(
  db: Kysely<Database>,
  finish: { claimed: ClaimedAttempt; record: AttemptRecord; decide: (task: TaskRow) => TaskStateAfterAttempt },
): Promise<TaskRow | null> {
  const { claimed, record } = finish;
  const expected = finish.decide(claimed.task);
  const unchanged = await db
    .with('moved', (cte) =>
      cte
        .updateTable('tasks')
        .set(taskChangesAfterAttempt(expected, record))
        .where('id', '=', claimed.task.id)
        .where('version', '=', claimed.task.version)
        .where('status', '=', 'running')
        .where('attempts', '=', claimed.task.attempts)
        .returningAll(),
    )
    .with('closed', (cte) =>
      cte
        .updateTable('task_logs')
        .set({
          ...logChangesAfterAttempt(record),
          next_retry_at: expected.status === 'retrying' ? expected.nextRunAt : null,
        })
        .where('id', '=', claimed.logId)
        .where('outcome', 'is', null)
        .where((eb) => eb.exists(eb.selectFrom('moved').select('moved.id')))
        .returning('task_logs.id'),
    )
    .selectFrom('moved')
    .selectAll()
    .executeTakeFirst();
  if (unchanged) return unchanged;

  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('tasks')
      .selectAll()
      .where('id', '=', claimed.task.id)
      .where('version', '=', claimed.task.version)
      .where('status', '=', 'running')
      .forUpdate()
      .executeTakeFirst();
    const next = current ? finish.decide(current) : null;
    const task =
      current && next
        ? await trx
            .updateTable('tasks')
            .set(taskChangesAfterAttempt(next, record))
            .where('id', '=', current.id)
            .returningAll()
            .executeTakeFirstOrThrow()
        : null;
    await trx
      .updateTable('task_logs')
      .set({ ...logChangesAfterAttempt(record), next_retry_at: task && next?.status === 'retrying' ? next.nextRunAt : null })
      .where('id', '=', claimed.logId)
      .where('outcome', 'is', null)
      .execute();
    return task;
  });
}

function taskChangesAfterAttempt(next: TaskStateAfterAttempt, record: AttemptRecord): UpdateObject<Database, 'tasks'> {
  return {
    status: next.status,
    next_run_at: next.nextRunAt,
    version: sql`version + 1`,
    lease_expires_at: null,
    ...(next.runFinished
      ? { run_count: sql`run_count + 1`, hold_after_run: false, ...(next.nextRunId ? { attempts: 0, run_id: next.nextRunId } : {}) }
      : {}),
    last_run_at: record.startedAt,
    last_outcome: record.outcome,
    last_status_code: record.statusCode,
    last_error: record.error,
    updated_at: sql`now()`,
  };
}

function logChangesAfterAttempt(record: AttemptRecord): UpdateObject<Database, 'task_logs'> {
  return {
    outcome: record.outcome,
    status_code: record.statusCode,
    duration_ms: record.durationMs,
    error: record.error,
    response_headers: JSON.stringify(record.responseHeaders),
    response_body: record.responseBody,
    response_truncated: record.responseTruncated,
    started_at: record.startedAt,
    finished_at: sql`now()`,
  };
}

/** An attempt whose lease lapsed before its worker recorded a result: its task is still `running`. */
export interface LostAttempt extends ClaimedAttempt {
  startedAt: Date;
  /** The worker that claimed it (the open log's `worker_id`); null only without an open log. */
  workerId: string | null;
}

/**
 * Attempts whose lease has lapsed (their worker died mid-attempt: SIGKILL, OOM, a lost node), oldest lease first,
 * with the log row each one left open. Uses the partial index on `lease_expires_at` of running tasks.
 */
export async function findLostAttempts(db: Kysely<Database>, options: { limit: number }): Promise<LostAttempt[]> {
  const rows = await lostAttemptsQuery(db, options).execute();
  return rows.map(({ open_log_id, open_log_started_at, open_log_worker_id, ...task }) => ({
    task,
    // Claiming opens the log in the same transaction, so there is one; the nil id only guards against a hand-edited row.
    logId: open_log_id ?? '00000000-0000-0000-0000-000000000000',
    attempt: task.attempts,
    startedAt: open_log_started_at ?? task.updated_at,
    workerId: open_log_worker_id ?? null,
  }));
}

/** The statement `findLostAttempts` runs (the query-plan test explains it). */
export function lostAttemptsQuery(db: Kysely<Database>, options: { limit: number }) {
  return db
    .selectFrom('tasks')
    .selectAll('tasks')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('task_logs')
          .select([
            'task_logs.id as open_log_id',
            'task_logs.started_at as open_log_started_at',
            'task_logs.worker_id as open_log_worker_id',
          ])
          .whereRef('task_logs.task_id', '=', 'tasks.id')
          .where('task_logs.outcome', 'is', null)
          .orderBy('task_logs.started_at', 'desc')
          .limit(1)
          .as('open_log'),
      (join) => join.onTrue(),
    )
    .select(['open_log.open_log_id', 'open_log.open_log_started_at', 'open_log.open_log_worker_id'])
    .where('tasks.status', '=', 'running')
    .where('tasks.lease_expires_at', '<', sql<Date>`now()`)
    .orderBy('tasks.lease_expires_at')
    .limit(options.limit);
}
