import { retryDelayMs, type BackoffPolicy } from './backoff.js';
import type { AttemptOutcome, TaskStatus } from './task-status.js';

export interface FinishedAttempt {
  outcome: AttemptOutcome;
  /** Attempts made in this run, including the one that just finished (1-based). */
  attemptsMade: number;
  maxRetries: number;
  backoff: BackoffPolicy;
  retryAfterMs: number | null;
  now: Date;
  random?: () => number;
}

export type NextState =
  | { kind: 'retry'; status: 'retrying'; nextRunAt: Date }
  | { kind: 'run-finished'; status: TaskStatus; nextRunAt: Date | null; runOutcome: AttemptOutcome };

/**
 * Where a one-off task goes after an attempt: another attempt after backoff while attempts are left
 * (attempts made ≤ maxRetries), else the run is over: `completed` on success, `failed` when attempts are used up.
 */
export function nextStateAfterAttempt(attempt: FinishedAttempt): NextState {
  if (attempt.outcome === 'succeeded') {
    return { kind: 'run-finished', status: 'completed', nextRunAt: null, runOutcome: 'succeeded' };
  }
  if (attempt.attemptsMade <= attempt.maxRetries) {
    const delay = retryDelayMs(attempt.backoff, attempt.attemptsMade, {
      retryAfterMs: attempt.retryAfterMs,
      random: attempt.random,
    });
    return { kind: 'retry', status: 'retrying', nextRunAt: new Date(attempt.now.getTime() + delay) };
  }
  return { kind: 'run-finished', status: 'failed', nextRunAt: null, runOutcome: 'failed' };
}
