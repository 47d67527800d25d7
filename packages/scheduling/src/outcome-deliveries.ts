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
}

export interface OutcomeDeliveries {
  emails: OutcomeEmail[];
  callbacks: { type: OutcomeCallback; url: string }[];
}

/**
 * Which emails and callbacks an attempt's outcome asks for. A failed attempt that is retried: `attempt.retrying` when
 * `notify.onRetry`. A run that ends failed: `run.failed` when `notify.onFailure` and the `onFailure` callback; but a
 * recurring task with `notify.afterConsecutiveFailures: N` gets one `task.failing` when the N-th run in a row fails and
 * nothing for the runs around it, then one `task.recovered` at its next success. A run that succeeds: the `onSuccess`
 * callback.
 */
export function outcomeDeliveries(input: OutcomeDeliveryInput): OutcomeDeliveries {
  const { notify, callbacks } = input;
  const emails: OutcomeEmail[] = [];
  const calls: OutcomeDeliveries['callbacks'] = [];
  const streakAlert = input.recurring ? notify.afterConsecutiveFailures : undefined;
  if (input.outcome === 'failed' && !input.runFinished) {
    if (notify.onRetry) emails.push('attempt.retrying');
  } else if (input.outcome === 'failed') {
    if (streakAlert === undefined) {
      if (notify.onFailure) emails.push('run.failed');
    } else if (input.consecutiveFailures + 1 === streakAlert) {
      emails.push('task.failing');
    }
    if (callbacks?.onFailure) calls.push({ type: 'run.failed', url: callbacks.onFailure });
  } else {
    if (streakAlert !== undefined && input.consecutiveFailures >= streakAlert) emails.push('task.recovered');
    if (callbacks?.onSuccess) calls.push({ type: 'run.succeeded', url: callbacks.onSuccess });
  }
  return { emails, callbacks: calls };
}
