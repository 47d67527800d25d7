import type { AttemptOutcome } from './task-status.js';

/** The emails an attempt's outcome can ask for (see outcomeDeliveries). */
export type OutcomeEmail = 'attempt.retrying' | 'run.failed' | 'task.failing' | 'task.recovered';
/** The callbacks a finished run can ask for, by the contract's `type`. */
export type OutcomeCallback = 'run.succeeded' | 'run.failed';

export interface OutcomeDeliveryInput {
  outcome: AttemptOutcome;
  /** The run is over (success, or attempts used up); false: another attempt follows. */
  runFinished: boolean;
  recurring: boolean;
  notify: { onFailure: boolean; onRetry: boolean; afterConsecutiveFailures?: number };
  callbacks: { onSuccess?: string; onFailure?: string } | null;
  /** Runs in a row that failed before this attempt's run. */
  consecutiveFailures: number;
  /** The streak's `task.failing` alert went out already. */
  failureAlerted: boolean;
}

export interface OutcomeDeliveries {
  emails: OutcomeEmail[];
  callbacks: { type: OutcomeCallback; url: string }[];
  /** Whether the streak's alert has gone out, after this outcome. */
  failureAlerted: boolean;
}

/**
 * Which emails and callbacks an attempt's outcome asks for. A failed attempt that is retried: `attempt.retrying` when
 * `notify.onRetry`. A run that ends failed: `run.failed` when `notify.onFailure` and the `onFailure` callback; but a
 * recurring task with `notify.afterConsecutiveFailures: N` gets one `task.failing` once N runs in a row have failed
 * (at the first failed run from the N-th on that finds no alert sent: N lowered mid-streak alerts at the next failure)
 * and nothing for the runs around it, then one `task.recovered` at its next success. A run that succeeds: the
 * `onSuccess` callback.
 */
export function outcomeDeliveries(input: OutcomeDeliveryInput): OutcomeDeliveries {
  const { notify, callbacks } = input;
  const emails: OutcomeEmail[] = [];
  const calls: OutcomeDeliveries['callbacks'] = [];
  const streakAlert = input.recurring ? notify.afterConsecutiveFailures : undefined;
  let failureAlerted = input.failureAlerted;
  if (input.outcome === 'failed' && !input.runFinished) {
    if (notify.onRetry) emails.push('attempt.retrying');
  } else if (input.outcome === 'failed') {
    if (streakAlert === undefined) {
      if (notify.onFailure) emails.push('run.failed');
    } else if (!failureAlerted && input.consecutiveFailures + 1 >= streakAlert) {
      emails.push('task.failing');
      failureAlerted = true;
    }
    if (callbacks?.onFailure) calls.push({ type: 'run.failed', url: callbacks.onFailure });
  } else {
    if (streakAlert !== undefined && failureAlerted) emails.push('task.recovered');
    failureAlerted = false;
    if (callbacks?.onSuccess) calls.push({ type: 'run.succeeded', url: callbacks.onSuccess });
  }
  return { emails, callbacks: calls, failureAlerted };
}
