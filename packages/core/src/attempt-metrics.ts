import type { AttemptOutcome } from '@punctual/scheduling';

/**
 * Where `runAttempt` reports what it does, for the worker's metrics. The worker implements it (with prom-client);
 * core only calls it, so it stays free of any metrics library.
 */
export interface AttemptMetrics {
  /** A job was dropped without a call: its task had moved on (rescheduled, paused, cancelled, deleted, or running). */
  staleJobDropped(): void;
  /** An attempt did not fit under a fleet-wide limit (its owner's USER_CONCURRENCY, or its flow key): it waits, unclaimed. */
  attemptWaited(limit: 'user' | 'flow'): void;
  /** An attempt was claimed and its call starts, `latenessMs` after it was due. */
  attemptStarted(latenessMs: number): void;
  /** The attempt's outcome was recorded in Postgres; `durationMs` is its HTTP call's. */
  attemptRecorded(outcome: AttemptOutcome, durationMs: number): void;
  /** The attempt is no longer in flight, recorded or not (every `attemptStarted` has one). */
  attemptEnded(): void;
  /**
   * How long the attempt waited for Postgres: to be claimed (stale jobs too), or to have its outcome recorded. With
   * group commit this includes waiting for the statement under way, so it shows whether Postgres keeps up.
   */
  storeWaited(step: 'claim' | 'record', ms: number): void;
}
