import { retryDelayMs, type BackoffPolicy } from './backoff.js';
import type { CronSchedule } from './cron-schedule.js';
import { DEFAULT_MISFIRE, type MisfirePolicy, type RetryRule } from './delivery-options.js';
import { DEFAULT_MISFIRE_GRACE_MS, nextRunAfter } from './misfire.js';
import { isRetried, type FailureKind } from './outcome-rules.js';
import type { AttemptOutcome, TaskStatus } from './task-status.js';

/** What one attempt's HTTP call produced: returned by the executor, stored in the attempt's log row. */
export interface AttemptResponse {
  /** `succeeded` iff a status in the task's `successCodes` (default 2xx) arrived and the body was read within the deadline. */
  outcome: AttemptOutcome;
  /** How a failed attempt failed (what `retryOn` decides on); null on success. */
  failure: FailureKind | null;
  /** `null` when no response arrived. */
  statusCode: number | null;
  /** Whole milliseconds from the start of the call to its result. */
  durationMs: number;
  /** `null` on success; `HTTP 503`, `timeout after 10000 ms`, `connect ECONNREFUSED 127.0.0.1:4567`, ... otherwise. */
  error: string | null;
  /** Lower-case names; repeated headers joined with ", "; `{}` when no response arrived. */
  responseHeaders: Record<string, string>;
  /** The first `responseBodyLimitBytes` bytes decoded as UTF-8; `null` when no response arrived. */
  responseBody: string | null;
  /** True when the body was longer than the limit. */
  responseTruncated: boolean;
}

export interface FinishedAttempt {
  outcome: AttemptOutcome;
  /** How a failed attempt failed; absent: retried like any failure. */
  failure?: FailureKind | null;
  /** The response's status, for `retryOn`'s class and code rules. */
  statusCode?: number | null;
  /** Which failures are retried; null or absent: any. */
  retryOn?: readonly RetryRule[] | null;
  /** Attempts made in this run, including the one that just finished (1-based). */
  attemptsMade: number;
  maxRetries: number;
  backoff: BackoffPolicy;
  retryAfterMs: number | null;
  now: Date;
  /** A recurring task's schedule; null or absent for a one-off task. */
  schedule?: CronSchedule | null;
  /** When this run was due: the next occurrence is computed after it, so a clock a little behind never repeats it. */
  scheduledFor?: Date | null;
  /** When the attempt that just finished started (default `now`): under misfire `once` the run covers what was due before. */
  startedAt?: Date;
  /** A recurring task's policy for occurrences missed meanwhile (default `once`), see misfire.ts. */
  misfire?: MisfirePolicy;
  /** MISFIRE_GRACE_MS (default 60 000). */
  misfireGraceMs?: number;
  /** The run was a manual `run` of a paused task: a recurring task goes back to `paused` afterwards. */
  holdAfterRun?: boolean;
  random?: () => number;
}

export type NextState =
  | { kind: 'retry'; status: 'retrying'; nextRunAt: Date }
  | {
      kind: 'run-finished';
      status: TaskStatus;
      nextRunAt: Date | null;
      runOutcome: AttemptOutcome;
      /** Present when attempts were left but `retryOn` does not list the failure: the log says so (notRetriedError). */
      notRetried?: true;
    };

/**
 * Where a task goes after an attempt: another attempt after backoff while attempts are left (attempts made ≤ maxRetries)
 * and `retryOn` lists the failure, else the run is over — a failure `retryOn` does not list ends it at once, as if the
 * attempts were used up. A one-off task is then `completed` on success or `failed`; a recurring task returns to `pending`
 * (or `paused`, after a manual run of a paused task) with `nextRunAt` at its next run (`nextRunAfter`): the next
 * occurrence, or for occurrences missed during a long attempt what its misfire policy says.
 */
export function nextStateAfterAttempt(attempt: FinishedAttempt): NextState {
  const runOutcome = attempt.outcome;
  const attemptsLeft = runOutcome === 'failed' && attempt.attemptsMade <= attempt.maxRetries;
  const notRetried =
    attemptsLeft &&
    attempt.failure != null &&
    attempt.retryOn != null &&
    !isRetried(attempt.failure, attempt.statusCode ?? null, attempt.retryOn);
  if (attemptsLeft && !notRetried) {
    const delay = retryDelayMs(attempt.backoff, attempt.attemptsMade, {
      retryAfterMs: attempt.retryAfterMs,
      random: attempt.random,
    });
    return { kind: 'retry', status: 'retrying', nextRunAt: new Date(attempt.now.getTime() + delay) };
  }
  if (attempt.schedule) {
    const nextRunAt = nextRunAfter({
      schedule: attempt.schedule,
      misfire: attempt.misfire ?? DEFAULT_MISFIRE,
      graceMs: attempt.misfireGraceMs ?? DEFAULT_MISFIRE_GRACE_MS,
      scheduledFor: attempt.scheduledFor ?? attempt.now,
      startedAt: attempt.startedAt ?? attempt.now,
      now: attempt.now,
    });
    return {
      kind: 'run-finished',
      status: attempt.holdAfterRun ? 'paused' : 'pending',
      nextRunAt,
      runOutcome,
      ...(notRetried ? NOT_RETRIED : undefined),
    };
  }
  return {
    kind: 'run-finished',
    status: runOutcome === 'succeeded' ? 'completed' : 'failed',
    nextRunAt: null,
    runOutcome,
    ...(notRetried ? NOT_RETRIED : undefined),
  };
}

const NOT_RETRIED = { notRetried: true } as const;
