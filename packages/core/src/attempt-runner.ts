import { randomUUID } from 'node:crypto';
import {
  claimAttempt,
  finishAttempt,
  openSecret,
  type ClaimedAttempt,
  type Database,
  type Kysely,
  type TaskRow,
  type TaskStateAfterAttempt,
} from '@punctual/db';
import { failedWithoutResponse, type AttemptResult, type Executor, type HttpMethod, type OutboundRequest } from '@punctual/executor';
import type { TaskAttemptJob, TaskQueue } from '@punctual/queue';
import { nextStateAfterAttempt } from '@punctual/scheduling';
import { enqueueNextAttempt, type Logger } from './task-context.js';

export interface AttemptContext {
  db: Kysely<Database>;
  queue: TaskQueue;
  executor: Executor;
  secretsKey: Buffer;
  /** Recorded on each attempt's log: which worker process made it. */
  workerId: string;
  /** How long past an attempt's own deadline its lease lasts before the attempt counts as lost. */
  leaseMarginMs: number;
  logger: Logger;
}

export type AttemptSummary =
  | { kind: 'dropped'; reason: 'stale' }
  | { kind: 'attempted'; taskId: string; runId: string; attempt: number; outcome: 'succeeded' | 'failed'; status: string | null };

/**
 * One scheduled attempt, start to end: claim it in Postgres (a stale job makes no call), make the HTTP call,
 * then record the outcome and the task's next state in one transaction, and queue the next attempt when one is due.
 */
export async function runAttempt(context: AttemptContext, job: TaskAttemptJob): Promise<AttemptSummary> {
  const claimed = await claimAttempt(context.db, {
    taskId: job.taskId,
    version: job.version,
    workerId: context.workerId,
    leaseMarginMs: context.leaseMarginMs,
  });
  if (!claimed) return { kind: 'dropped', reason: 'stale' };

  const startedAt = new Date();
  const result = await callTarget(context, claimed);
  const task = claimed.task;
  const updated = await finishAttempt(context.db, {
    claimed,
    record: { ...result, startedAt },
    decide: (current) => stateAfterAttempt(current, result, new Date()),
  });
  if (updated) await enqueueNextAttempt(context, updated);
  return {
    kind: 'attempted',
    taskId: task.id,
    runId: task.run_id,
    attempt: claimed.attempt,
    outcome: result.outcome,
    status: updated?.status ?? null,
  };
}

/**
 * The task's next state after an attempt, from the task row as it is when the attempt is recorded (a `reset-retries`
 * during the attempt counts). A recurring task's next run gets a new run id.
 */
export function stateAfterAttempt(
  task: TaskRow,
  result: Pick<AttemptResult, 'outcome' | 'retryAfterMs'>,
  now: Date,
): TaskStateAfterAttempt {
  const next = nextStateAfterAttempt({
    outcome: result.outcome,
    attemptsMade: Math.max(1, task.attempts),
    maxRetries: task.max_retries,
    backoff: task.backoff,
    retryAfterMs: result.retryAfterMs,
    now,
    schedule: task.cron === null ? null : { cron: task.cron, timezone: task.timezone },
    scheduledFor: task.next_run_at,
    holdAfterRun: task.hold_after_run,
  });
  const runFinished = next.kind === 'run-finished';
  return {
    status: next.status,
    nextRunAt: next.nextRunAt,
    runFinished,
    nextRunId: runFinished && task.cron !== null ? randomUUID() : undefined,
  };
}

async function callTarget(context: AttemptContext, claimed: ClaimedAttempt): Promise<AttemptResult> {
  let request: OutboundRequest;
  try {
    request = outboundRequest(context.secretsKey, claimed.task, claimed.attempt);
  } catch {
    return failedWithoutResponse("cannot decrypt the task's token or headers (was SECRETS_KEY changed?)", 0);
  }
  return context.executor.execute(request);
}

/** The request an attempt sends: the task's own headers and secrets, plus Punctual's identification headers. */
function outboundRequest(secretsKey: Buffer, task: TaskRow, attempt: number): OutboundRequest {
  const headers: Record<string, string> = { ...task.headers };
  if (task.secret_headers !== null) Object.assign(headers, JSON.parse(openSecret(secretsKey, task.secret_headers)));
  if (task.token !== null) headers.Authorization = `Bearer ${openSecret(secretsKey, task.token)}`;
  headers['Punctual-Task-Id'] = task.id;
  headers['Punctual-Run-Id'] = task.run_id;
  headers['Punctual-Attempt'] = String(attempt);
  return {
    url: task.url,
    method: task.method as HttpMethod,
    headers,
    body: task.body ?? undefined,
    timeoutMs: task.timeout_ms,
  };
}
