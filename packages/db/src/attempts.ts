import { type AttemptResponse, SCHEDULED_STATUSES, type TaskStatus } from '@punctual/scheduling';
import { type Kysely, type UpdateObject, sql } from 'kysely';
import { executePrepared, preparedStatement } from './connection.js';
import { insertNotifications, notificationColumns, type NewNotification } from './notification-deliveries.js';
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

/** Which attempt of which task a job asks for, and who claims it. */
export interface AttemptClaim {
  taskId: string;
  version: number;
  workerId: string;
  leaseMarginMs: number;
}

/**
 * Claims the next attempt of a task for a worker: only when the job's version is still current and the task is
 * waiting (`pending`/`retrying`). Marks it `running` under a lease and opens the attempt's log row — one statement,
 * so one round trip and atomic; it also reads the owner's signing secrets. Returns null for a stale job (rescheduled,
 * paused, cancelled, deleted, or already claimed): make no call.
 */
export async function claimAttempt(db: Kysely<Database>, claim: AttemptClaim): Promise<ClaimedAttemptToSend | null> {
  const [claimed] = await claimAttempts(db, [claim]);
  return claimed ?? null;
}

/**
 * Claims several attempts in one statement (see claimAttempt; the claims share a worker and lease margin, those of
 * the first count). One result per claim, in order; each claim is fenced by its own task's version and status, so a
 * stale one gets null without touching the others. A task must not appear twice.
 */
export async function claimAttempts(db: Kysely<Database>, claims: readonly AttemptClaim[]): Promise<(ClaimedAttemptToSend | null)[]> {
  if (claims.length === 0) return [];
  const rows = await executePrepared<ClaimRow>(db, CLAIM_ATTEMPTS, [
    claims.map((claim) => claim.taskId),
    claims.map((claim) => claim.version),
    claims[0]!.workerId,
    claims[0]!.leaseMarginMs,
  ]);
  const byTask = new Map(rows.map((row) => [row.id, row]));
  return claims.map((claim) => {
    const row = byTask.get(claim.taskId);
    if (!row) return null;
    const { log_id: logId, signing_secret: current, previous_signing_secret: previous, ...task } = row;
    return { task, logId, attempt: task.attempts, signingSecrets: { current, previous } };
  });
}

interface ClaimRow extends TaskRow {
  log_id: string;
  signing_secret: string | null;
  previous_signing_secret: string | null;
}

const SCHEDULED = SCHEDULED_STATUSES.map((status) => `'${status}'`).join(', ');

// The claims as rows (`unnest` of one array per column), so the text is the same for any number of them and stays
// prepared. The lease outlives the attempt's own deadline by a margin: a live worker always finishes before it lapses.
// The owner's signing secrets come with the claim, so signing costs no round trip and a rotation applies at once.
export const CLAIM_ATTEMPTS = preparedStatement(
  'punctual_claim_attempts',
  `WITH wanted AS (
     SELECT * FROM unnest($1::uuid[], $2::int[]) AS wanted (task_id, version)
   ), claimed AS (
     UPDATE tasks SET status = 'running', attempts = tasks.attempts + 1,
       lease_expires_at = now() + (tasks.timeout_ms + $4::int) * interval '1 millisecond', updated_at = now()
     FROM wanted
     WHERE tasks.id = wanted.task_id AND tasks.version = wanted.version AND tasks.status IN (${SCHEDULED})
     RETURNING tasks.*
   ), opened AS (
     INSERT INTO task_logs (task_id, user_id, run_id, attempt, scheduled_for, worker_id)
     SELECT id, user_id, run_id, attempts, coalesce(next_run_at, now()), $3::text FROM claimed
     RETURNING id, task_id
   )
   SELECT claimed.*, opened.id AS log_id, signing_secrets.secret AS signing_secret,
     CASE WHEN signing_secrets.previous_expires_at > now() THEN signing_secrets.previous_secret END AS previous_signing_secret
   FROM claimed
   JOIN opened ON opened.task_id = claimed.id
   LEFT JOIN signing_secrets ON signing_secrets.user_id = claimed.user_id`,
);

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
  /** The emails and callbacks the outcome asks for, written with the record (only where the task moved). */
  notifications?: readonly NewNotification[];
  /** The failure streak's alert has gone out (`tasks.failure_alerted`); unchanged when absent. */
  failureAlerted?: boolean;
  /**
   * The error the log row and `tasks.last_error` record instead of the response's, when the decision adds to it
   * (`HTTP 400 (not retried: retryOn is 5xx)`); the record's own when absent.
   */
  error?: string;
}

/**
 * What recording an attempt tells of its task: enough to queue the next attempt and the notifications written with it
 * (the worker reads no more).
 */
export type TaskAfterAttempt = Pick<TaskRow, 'id' | 'user_id' | 'run_id' | 'version' | 'status' | 'next_run_at'> & {
  /** The notifications written with the record: the pending ones' jobs are queued after the commit. */
  notifications: readonly NewNotification[];
};

/** What recording an attempt needs: the claim, the response, and how to pick the task's next state from its row. */
export interface AttemptFinish {
  claimed: ClaimedAttempt;
  record: AttemptRecord;
  decide: (task: TaskRow) => TaskStateAfterAttempt;
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
export async function finishAttempt(db: Kysely<Database>, finish: AttemptFinish): Promise<TaskAfterAttempt | null> {
  const [unchanged] = await recordAttempts(db, [finish]);
  return unchanged ?? finishChangedAttempt(db, finish);
}

/**
 * The usual case of finishAttempt for several attempts in one statement: each task that nothing touched since its
 * claim moves to its next state and its log row is closed. One result per attempt, in order: the task's new row, or
 * null for a task that changed meanwhile, whose attempt is left for finishChangedAttempt. A task must not appear twice.
 */
export async function recordAttempts(db: Kysely<Database>, finishes: readonly AttemptFinish[]): Promise<(TaskAfterAttempt | null)[]> {
  if (finishes.length === 0) return [];
  const columns: unknown[][] = Array.from({ length: 18 }, () => []);
  const decided = finishes.map((finish) => finish.decide(finish.claimed.task));
  for (const [index, { claimed, record }] of finishes.entries()) {
    const next = decided[index]!;
    const values = [
      claimed.task.id,
      claimed.task.version,
      claimed.task.attempts,
      claimed.logId,
      next.status,
      next.nextRunAt,
      next.runFinished,
      next.runFinished ? (next.nextRunId ?? null) : null,
      record.startedAt,
      record.outcome,
      record.statusCode,
      next.error ?? record.error,
      record.durationMs,
      JSON.stringify(record.responseHeaders),
      record.responseBody,
      record.responseTruncated,
      next.status === 'retrying' ? next.nextRunAt : null,
      next.failureAlerted ?? null,
    ];
    values.forEach((value, index) => columns[index]!.push(value));
  }
  const notifying = decided.some((next) => (next.notifications?.length ?? 0) > 0);
  const values = notifying
    ? [
        ...columns,
        ...notificationColumns(
          finishes.map((finish, index) => ({ claimed: finish.claimed, notifications: decided[index]!.notifications ?? [] })),
        ),
      ]
    : columns;
  const rows = await executePrepared<Omit<TaskAfterAttempt, 'notifications'>>(
    db,
    notifying ? RECORD_ATTEMPTS_NOTIFYING : RECORD_ATTEMPTS,
    values,
  );
  const byTask = new Map(rows.map((row) => [row.id, row]));
  return finishes.map((finish, index) => {
    const row = byTask.get(finish.claimed.task.id);
    return row ? { ...row, notifications: decided[index]!.notifications ?? [] } : null;
  });
}

// The attempts as rows (one array per column), so the text is fixed and stays prepared. Each row is fenced by its own
// task's version, status and attempt count; a log row is closed only where its task moved. The status test is written
// `(…) IS TRUE` so the planner cannot serve it from an index on status: the statistics see few running tasks and
// would pick that index over the primary key, and walk every dead entry that recent attempts left in it. It returns
// only what queueing the next attempt needs: the whole row, parsed for every attempt, was ~3 % of a worker's CPU.
const RECORD_ATTEMPTS_TEXT = (notifying: boolean): string => `WITH done AS (
     SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[], $4::uuid[], $5::text[], $6::timestamptz[], $7::boolean[],
       $8::uuid[], $9::timestamptz[], $10::text[], $11::int[], $12::text[], $13::int[], $14::text[], $15::text[],
       $16::boolean[], $17::timestamptz[], $18::boolean[])
     AS done (task_id, version, attempts, log_id, status, next_run_at, run_finished, next_run_id, started_at, outcome,
       status_code, error, duration_ms, response_headers, response_body, response_truncated, next_retry_at,
       failure_alerted)
   ), moved AS (
     UPDATE tasks SET status = done.status, next_run_at = done.next_run_at, version = tasks.version + 1,
       lease_expires_at = NULL,
       run_count = tasks.run_count + CASE WHEN done.run_finished THEN 1 ELSE 0 END,
       hold_after_run = tasks.hold_after_run AND NOT done.run_finished,
       attempts = CASE WHEN done.next_run_id IS NULL THEN tasks.attempts ELSE 0 END,
       run_id = coalesce(done.next_run_id, tasks.run_id),
       last_run_at = done.started_at, last_outcome = done.outcome, last_status_code = done.status_code,
       last_error = done.error, updated_at = now(),
       consecutive_failures = CASE WHEN NOT done.run_finished THEN tasks.consecutive_failures
         WHEN done.outcome = 'succeeded' THEN 0 ELSE tasks.consecutive_failures + 1 END,
       failure_alerted = coalesce(done.failure_alerted, tasks.failure_alerted)
     FROM done
     WHERE tasks.id = done.task_id AND tasks.version = done.version AND (tasks.status = 'running') IS TRUE
       AND tasks.attempts = done.attempts
     RETURNING tasks.id, tasks.user_id, tasks.run_id, tasks.version, tasks.status, tasks.next_run_at
${notifying ? NOTIFIED : ''}   ), closed AS (
     UPDATE task_logs SET outcome = done.outcome, status_code = done.status_code, duration_ms = done.duration_ms,
       error = done.error, response_headers = done.response_headers::jsonb, response_body = done.response_body,
       response_truncated = done.response_truncated, started_at = done.started_at, finished_at = now(),
       next_retry_at = done.next_retry_at
     FROM done JOIN moved ON moved.id = done.task_id
     WHERE task_logs.id = done.log_id AND task_logs.outcome IS NULL
     RETURNING task_logs.id
   )
   SELECT * FROM moved`;

// The outcome's notifications, inserted for the tasks that moved, in the same statement: none is written for a record
// that did not take, and none is lost between the record and its notification; the owner's email is read here for
// those addressed to the owner. Only batches with a notification run it: an INSERT opens its table and every index
// of it even when it inserts nothing, and most batches (successes without callbacks) have none.
const NOTIFIED = `   ), notified AS (
     INSERT INTO notifications (id, task_id, user_id, run_id, attempt, log_id, channel, event, recipient, payload, status,
       last_error)
     SELECT n.id, n.task_id, moved.user_id, n.run_id, n.attempt, n.log_id, n.channel, n.event,
       coalesce(n.recipient, users.email), n.payload::jsonb, n.status, n.error
     FROM unnest($19::uuid[], $20::uuid[], $21::uuid[], $22::int[], $23::uuid[], $24::text[], $25::text[], $26::text[],
       $27::text[], $28::text[], $29::text[])
       AS n (task_id, id, run_id, attempt, log_id, channel, event, recipient, payload, status, error)
     JOIN moved ON moved.id = n.task_id
     JOIN users ON users.id = moved.user_id
     ON CONFLICT DO NOTHING
`;

export const RECORD_ATTEMPTS = preparedStatement('punctual_record_attempts', RECORD_ATTEMPTS_TEXT(false));
export const RECORD_ATTEMPTS_NOTIFYING = preparedStatement('punctual_record_attempts_notifying', RECORD_ATTEMPTS_TEXT(true));

/**
 * finishAttempt for a task that changed since its claim (recordAttempts left it): locks and reads the row again in a
 * transaction, moves it when the claim still holds, and closes the log row either way.
 */
export async function finishChangedAttempt(db: Kysely<Database>, finish: AttemptFinish): Promise<TaskAfterAttempt | null> {
  const { claimed, record } = finish;
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
            .set(taskChangesAfterAttempt(next, decidedRecord(next, record)))
            .where('id', '=', current.id)
            .returningAll()
            .executeTakeFirstOrThrow()
        : null;
    await trx
      .updateTable('task_logs')
      .set({
        ...logChangesAfterAttempt(task && next ? decidedRecord(next, record) : record),
        next_retry_at: task && next?.status === 'retrying' ? next.nextRunAt : null,
      })
      .where('id', '=', claimed.logId)
      .where('outcome', 'is', null)
      .execute();
    if (!task || !next) return null;
    // The notifications of the run as it was claimed (its run id and attempt), decided on the row as it is now.
    await insertNotifications(trx, claimed, next.notifications ?? []);
    return { ...task, notifications: next.notifications ?? [] };
  });
}

/** The record as the decision tells it: its error, when the decision gave one. */
function decidedRecord(next: TaskStateAfterAttempt, record: AttemptRecord): AttemptRecord {
  return next.error === undefined ? record : { ...record, error: next.error };
}

function taskChangesAfterAttempt(next: TaskStateAfterAttempt, record: AttemptRecord): UpdateObject<Database, 'tasks'> {
  return {
    status: next.status,
    next_run_at: next.nextRunAt,
    version: sql`version + 1`,
    lease_expires_at: null,
    ...(next.runFinished
      ? {
          run_count: sql`run_count + 1`,
          hold_after_run: false,
          consecutive_failures: record.outcome === 'succeeded' ? 0 : sql`consecutive_failures + 1`,
          ...(next.nextRunId ? { attempts: 0, run_id: next.nextRunId } : {}),
        }
      : {}),
    ...(next.failureAlerted === undefined ? {} : { failure_alerted: next.failureAlerted }),
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
