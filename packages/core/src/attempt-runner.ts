import { randomUUID } from 'node:crypto';
import {
  claimAttempt,
  finishAttempt,
  peekAttempts,
  skipMissedOccurrences,
  SealedSecretError,
  type AttemptToAdmit,
  type AttemptWriter,
  type ClaimedAttemptToSend,
  type Database,
  type JsonValue,
  type Kysely,
  type SecretKeys,
  type TaskRow,
  type TaskStateAfterAttempt,
} from '@punctual/db';
import type { AttemptResult, Executor, HttpMethod, OutboundRequest } from '@punctual/executor';
import { failedWithoutResponse } from '@punctual/executor/attempt-result';
import { taskAttemptJobId, type AttemptSlots, type NotificationQueue, type TaskAttemptJob, type TaskQueue } from '@punctual/queue';
import {
  admitOccurrence,
  DEFAULT_MISFIRE_GRACE_MS,
  attemptLimits,
  limitWaitMs,
  nextStateAfterAttempt,
  notRetriedError,
  type AttemptLimit,
  type AttemptResponse,
} from '@punctual/scheduling';
import type { AttemptMetrics } from './attempt-metrics.js';
import { slotBatchesOf } from './attempt-slot-batches.js';
import { outcomeNotifications, type NotificationSettings } from './outcome-notifications.js';
import { fillTemplate } from './request-template.js';
import { ensureSigningSecret, openSigningSecret } from './signing-secrets.js';
import { enqueueDeliveries } from './notification-delivery.js';
import { enqueueNextAttempt, type Logger } from './task-context.js';
import { openTaskSecrets, secretKeysOf } from './task-secrets.js';

export interface AttemptContext {
  db: Kysely<Database>;
  queue: TaskQueue;
  executor: Executor;
  /** Opens task secrets and signing secrets (and seals a signing secret created on first use). */
  secretsKey: Buffer;
  /** The key before a rotation: still opens what it sealed. */
  secretsKeyPrevious?: Buffer | null;
  /** Recorded on each attempt's log: which worker process made it. */
  workerId: string;
  /** How long past an attempt's own deadline its lease lasts before the attempt counts as lost. */
  leaseMarginMs: number;
  logger: Logger;
  /** Told of drops, starts and outcomes (the worker's /metrics); none when absent. */
  metrics?: AttemptMetrics;
  /**
   * Claims and records attempts with group commit (the worker's, made by createAttemptWriter with the same worker id
   * and lease margin); without it, each attempt's statements go to Postgres alone.
   */
  writer?: AttemptWriter;
  /** Outcome emails and callbacks: written with each record, their deliveries queued after it. */
  notifications: NotificationSettings & { queue: NotificationQueue };
  /** Fleet-wide limits an attempt must fit under before it is claimed (USER_CONCURRENCY, a task's flowControl). */
  limits: { slots: AttemptSlots; userConcurrency: number };
  /** MISFIRE_GRACE_MS (default 60 000): how late an occurrence may start before it counts as missed. */
  misfireGraceMs?: number;
}

export type AttemptSummary =
  | { kind: 'dropped'; reason: 'stale' }
  | { kind: 'waiting'; taskId: string; limit: 'user' | 'flow'; retryInMs: number }
  | { kind: 'skipped'; taskId: string; nextRunAt: Date }
  | { kind: 'attempted'; taskId: string; runId: string; attempt: number; outcome: 'succeeded' | 'failed'; status: string | null };

/**
 * One scheduled attempt, start to end: read its task (a stale job stops here), take its slots under the fleet's limits
 * (an attempt that does not fit is not claimed: it waits, and the caller puts its job back for `retryInMs`), claim it in
 * Postgres, make the HTTP call, then record the outcome and the task's next state in one transaction, queue the next
 * attempt when one is due, and give the slots back.
 */
export async function runAttempt(context: AttemptContext, job: TaskAttemptJob): Promise<AttemptSummary> {
  const { writer, metrics } = context;
  const [task] = writer ? [await writer.peek(job)] : await peekAttempts(context.db, [job]);
  if (!task) {
    metrics?.staleJobDropped();
    return { kind: 'dropped', reason: 'stale' };
  }
  const skipped = await skipIfMissed(context, task);
  if (skipped) return skipped;
  const limits = attemptLimits({ userId: task.user_id, flowControl: task.flow_control }, context.limits.userConcurrency);
  const lease = randomUUID();
  let refusal;
  try {
    refusal = await slotBatchesOf(context.limits.slots).acquire({
      holder: taskAttemptJobId(job),
      lease,
      dueAt: task.next_run_at ?? new Date(),
      // As long as the attempt's claim in Postgres: a worker that dies holding the slots gives them back with it.
      leaseMs: task.timeout_ms + context.leaseMarginMs,
      limits,
    });
  } catch (error) {
    // The store may have granted the slots before the answer was lost: give back whatever the lease took.
    await releaseSlots(context, { taskId: task.id, lease }, limits);
    throw error;
  }
  if (refusal !== null) {
    const limit = limits[refusal.limit]!;
    const waiting = limit.key.startsWith('user:') ? 'user' : 'flow';
    metrics?.attemptWaited(waiting);
    return { kind: 'waiting', taskId: task.id, limit: waiting, retryInMs: limitWaitMs(refusal, limit.rate) };
  }
  try {
    return await claimAndRun(context, job);
  } finally {
    await releaseSlots(context, { taskId: task.id, lease }, limits);
  }
}

/**
 * The first attempt of a recurring task's run whose occurrence was missed (due longer than MISFIRE_GRACE_MS ago) under
 * a policy that does not run it (`skip`, or `all` past its 100 most recent): the task moves to the occurrence its
 * policy runs next, without a claim or a call, and that run is queued. Null when the attempt goes ahead.
 */
async function skipIfMissed(context: AttemptContext, task: AttemptToAdmit): Promise<AttemptSummary | null> {
  if (task.cron === null || task.attempts > 0 || task.next_run_at === null) return null;
  const admission = admitOccurrence({
    schedule: { cron: task.cron, timezone: task.timezone },
    misfire: task.misfire,
    graceMs: context.misfireGraceMs ?? DEFAULT_MISFIRE_GRACE_MS,
    scheduledFor: task.next_run_at,
    now: new Date(),
  });
  if (admission.kind === 'run') return null;
  const moved = await skipMissedOccurrences(context.db, task, admission.nextRunAt);
  if (moved) await enqueueNextAttempt({ queue: context.queue, logger: context.logger }, moved);
  return { kind: 'skipped', taskId: task.id, nextRunAt: admission.nextRunAt };
}

/**
 * Gives an attempt's slots back and wakes the attempts first in line for them; a store that does not answer leaves the
 * slots to lapse with their lease (and the waiters to ask again on their own).
 */
async function releaseSlots(
  context: AttemptContext,
  held: { taskId: string; lease: string },
  limits: readonly AttemptLimit[],
): Promise<void> {
  try {
    const waiting = await slotBatchesOf(context.limits.slots).release({ lease: held.lease, limits });
    if (waiting.length > 0) await context.queue.wakeAttempts(waiting);
  } catch (error) {
    context.logger.warn({ err: error, taskId: held.taskId }, 'attempt slots not given back; they lapse with their lease');
  }
}

async function claimAndRun(context: AttemptContext, job: TaskAttemptJob): Promise<AttemptSummary> {
  const { writer, metrics } = context;
  const claiming = performance.now();
  const claimed = writer
    ? await writer.claim(job)
    : await claimAttempt(context.db, {
        taskId: job.taskId,
        version: job.version,
        workerId: context.workerId,
        leaseMarginMs: context.leaseMarginMs,
      });
  metrics?.storeWaited('claim', performance.now() - claiming);
  if (!claimed) {
    metrics?.staleJobDropped();
    return { kind: 'dropped', reason: 'stale' };
  }

  const task = claimed.task;
  // Every line about this attempt says which one it is, whoever logs it (the enqueue of the next attempt too).
  const logger = attemptLogger(context, { taskId: task.id, runId: task.run_id, attempt: claimed.attempt });
  const startedAt = new Date();
  metrics?.attemptStarted(startedAt.getTime() - (task.next_run_at ?? startedAt).getTime());
  try {
    const result = await callTarget(context, claimed, startedAt);
    const finish = {
      claimed,
      record: { ...result, startedAt },
      decide: (current: TaskRow) =>
        stateAfterAttempt(current, result, attemptTiming(context, startedAt), {
          attempt: claimed.attempt,
          settings: context.notifications,
        }),
    };
    const recording = performance.now();
    const updated = writer ? await writer.finish(finish) : await finishAttempt(context.db, finish);
    metrics?.storeWaited('record', performance.now() - recording);
    metrics?.attemptRecorded(result.outcome, result.durationMs);
    if (updated) {
      await enqueueNextAttempt({ queue: context.queue, logger }, updated);
      await enqueueDeliveries({ queue: context.notifications.queue, logger }, [updated]);
    }
    return {
      kind: 'attempted',
      taskId: task.id,
      runId: task.run_id,
      attempt: claimed.attempt,
      outcome: result.outcome,
      status: updated?.status ?? null,
    };
  } catch (error) {
    logger.warn({ err: error }, 'attempt not recorded; its lease lapses and it is closed as worker lost');
    throw error;
  } finally {
    metrics?.attemptEnded();
  }
}

/** The attempt's fields (and the worker's id) on every line logged through it. */
function attemptLogger(context: AttemptContext, fields: { taskId: string; runId: string; attempt: number }): Logger {
  const bound = { ...fields, workerId: context.workerId };
  return { warn: (details, message) => context.logger.warn({ ...bound, ...details }, message) };
}

/** When an attempt is recorded, when it started, and the grace its recurring task's misfire policy counts with. */
export interface AttemptTiming {
  now: Date;
  startedAt: Date;
  misfireGraceMs: number;
}

/** The timing of an attempt that started at `startedAt` and is recorded now. */
export function attemptTiming(context: { misfireGraceMs?: number }, startedAt: Date): AttemptTiming {
  return { now: new Date(), startedAt, misfireGraceMs: context.misfireGraceMs ?? DEFAULT_MISFIRE_GRACE_MS };
}

/**
 * The task's next state after an attempt, from the task row as it is when the attempt is recorded (a `reset-retries`
 * during the attempt counts). A recurring task's next run gets a new run id, at the time its misfire policy gives.
 * With `notified` (the attempt's number and the notification settings), the emails and callbacks the outcome asks for
 * come with it.
 */
export function stateAfterAttempt(
  task: TaskRow,
  result: AttemptResponse & Pick<AttemptResult, 'retryAfterMs'>,
  timing: AttemptTiming,
  notified?: { attempt: number; settings: NotificationSettings },
): TaskStateAfterAttempt {
  const { now } = timing;
  const next = nextStateAfterAttempt({
    outcome: result.outcome,
    failure: result.failure,
    statusCode: result.statusCode,
    retryOn: task.retry_on,
    attemptsMade: Math.max(1, task.attempts),
    maxRetries: task.max_retries,
    backoff: task.backoff,
    retryAfterMs: result.retryAfterMs,
    now,
    schedule: task.cron === null ? null : { cron: task.cron, timezone: task.timezone },
    scheduledFor: task.next_run_at,
    startedAt: timing.startedAt,
    misfire: task.misfire,
    misfireGraceMs: timing.misfireGraceMs,
    holdAfterRun: task.hold_after_run,
  });
  const runFinished = next.kind === 'run-finished';
  // A failure retryOn does not list ended the run: its log, the task's lastError and the notifications say why.
  const error = runFinished && next.notRetried ? notRetriedError(result.error, task.retry_on ?? []) : undefined;
  const state: TaskStateAfterAttempt = {
    status: next.status,
    nextRunAt: next.nextRunAt,
    runFinished,
    nextRunId: runFinished && task.cron !== null ? randomUUID() : undefined,
    ...(error === undefined ? undefined : { error }),
  };
  if (!notified) return state;
  const told = error === undefined ? result : { ...result, error };
  const outcome = { task, attempt: notified.attempt, result: told, runFinished, nextRunAt: next.nextRunAt, finishedAt: now };
  return { ...state, ...outcomeNotifications(outcome, notified.settings) };
}

async function callTarget(context: AttemptContext, claimed: ClaimedAttemptToSend, startedAt: Date): Promise<AttemptResult> {
  const keys = secretKeysOf(context);
  let request: OutboundRequest;
  try {
    const signingSecrets = await openSigningSecrets(context, keys, claimed);
    request = outboundRequest(keys, claimed.task, { number: claimed.attempt, startedAt }, signingSecrets);
  } catch (error) {
    if (!(error instanceof SealedSecretError)) throw error;
    // Nothing is sent: neither a secret to an origin it was not given for, nor an unsigned call.
    return failedWithoutResponse(sealedSecretFailure(error), 0, 'not-sent');
  }
  return context.executor.execute(request);
}

/** The owner's signing secrets, current first (the previous one only within 24 h of a rotation); created on first use. */
async function openSigningSecrets(context: AttemptContext, keys: SecretKeys, claimed: ClaimedAttemptToSend): Promise<string[]> {
  const userId = claimed.task.user_id;
  const current = claimed.signingSecrets.current ?? (await ensureSigningSecret({ db: context.db, keys }, userId));
  const sealed = claimed.signingSecrets.previous === null ? [current] : [current, claimed.signingSecrets.previous];
  return sealed.map((value) => openSigningSecret(keys, userId, value));
}

function sealedSecretFailure(error: SealedSecretError): string {
  switch (error.problem) {
    case 'unknown key':
      return 'not sent: a secret of this task is sealed under a key neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS holds';
    case 'mismatch':
      return "not sent: the task's token or headers were not given for its URL's origin (or were tampered with); give them again";
    default:
      return 'not sent: a secret of this task is not a sealed value';
  }
}

/**
 * The request an attempt sends: the task's own headers and secrets, plus Punctual's identification headers, signed
 * with `signingSecrets` (Standard Webhooks, `webhook-id` = the run id). A template task's placeholders are filled in
 * (URL query, header values, body; not the token), so the signature covers the body as filled. Throws a
 * SealedSecretError when a secret does not open for the task's current URL.
 */
export function outboundRequest(
  keys: SecretKeys,
  task: TaskRow,
  attempt: { number: number; startedAt: Date },
  signingSecrets: readonly string[] = [],
): OutboundRequest {
  const secrets = openTaskSecrets(keys, task);
  let headers: Record<string, string> = { ...task.headers, ...secrets.headers };
  let url = task.url;
  let body: JsonValue | undefined = task.body ?? undefined;
  if (task.template) {
    const values = {
      taskId: task.id,
      runId: task.run_id,
      attempt: attempt.number,
      // When this attempt was due, as its log's scheduledFor (the claim leaves next_run_at as it was).
      scheduledFor: task.next_run_at ?? attempt.startedAt,
      now: attempt.startedAt,
    };
    ({ url, headers, body } = fillTemplate({ url, headers, body }, values));
  }
  if (secrets.token !== null) headers.Authorization = `Bearer ${secrets.token}`;
  headers['Punctual-Task-Id'] = task.id;
  headers['Punctual-Run-Id'] = task.run_id;
  headers['Punctual-Attempt'] = String(attempt.number);
  return {
    url,
    method: task.method as HttpMethod,
    headers,
    body,
    timeoutMs: task.timeout_ms,
    ...(task.success_codes === null ? {} : { successCodes: task.success_codes }),
    ...(signingSecrets.length > 0 ? { signing: { id: task.run_id, secrets: signingSecrets } } : {}),
  };
}
