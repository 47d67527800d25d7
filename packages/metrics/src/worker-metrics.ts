import { ATTEMPT_OUTCOMES, type AttemptOutcome } from '@punctual/scheduling';
import type { Registry } from 'prom-client';
import { METRICS, QUEUE_JOB_STATES, type QueueJobState } from './catalog.js';
import { createRegistry, defineCounter, defineGauge, defineHistogram } from './registry.js';

/** How long a scrape waits for the queue's counts: a queue that does not answer must not hang `/metrics`. */
export const QUEUE_COUNTS_TIMEOUT_MS = 2_000;

/** What the attempt runner reports (core's `AttemptMetrics`, implemented here so core stays free of prom-client). */
export interface AttemptRecorder {
  staleJobDropped(): void;
  attemptWaited(limit: 'user' | 'flow'): void;
  attemptStarted(latenessMs: number): void;
  attemptRecorded(outcome: AttemptOutcome, durationMs: number): void;
  attemptEnded(): void;
  storeWaited(step: 'claim' | 'record', ms: number): void;
}

/** What the maintenance loop reports after a pass. */
export interface MaintenanceRecorder {
  lostAttemptsClosed(count: number): void;
  jobsReenqueued(count: number): void;
}

/** What the delivery of an email or callback reports (core's DeliveryMetrics). */
export interface DeliveryRecorder {
  delivered(channel: 'email' | 'callback', outcome: 'sent' | 'retried' | 'failed'): void;
}

/** BullMQ's `Queue#getJobCounts`, on either queue backend. */
export type JobCounts = (...states: QueueJobState[]) => Promise<Record<string, number>>;

export interface WorkerMetrics {
  registry: Registry;
  attempts: AttemptRecorder;
  maintenance: MaintenanceRecorder;
  deliveries: DeliveryRecorder;
}

/**
 * A worker process's metrics: attempts by outcome, their duration and lateness, in flight, drops, repairs, outcome
 * deliveries, queue depth.
 */
export function createWorkerMetrics(options: { jobCounts: JobCounts; queueCountsTimeoutMs?: number }): WorkerMetrics {
  const registry = createRegistry();
  const attempts = defineCounter(registry, METRICS.attempts);
  const duration = defineHistogram(registry, METRICS.attemptDuration);
  const lateness = defineHistogram(registry, METRICS.attemptLateness);
  const storeWait = defineHistogram(registry, METRICS.attemptStoreWait);
  const inFlight = defineGauge(registry, METRICS.attemptsInFlight);
  const staleJobs = defineCounter(registry, METRICS.staleJobsDropped);
  const waits = defineCounter(registry, METRICS.attemptWaits);
  const repairs = defineCounter(registry, METRICS.reconcilerRepairs);
  const lost = defineCounter(registry, METRICS.lostAttempts);
  const notifications = defineCounter(registry, METRICS.notifications);
  const timeoutMs = options.queueCountsTimeoutMs ?? QUEUE_COUNTS_TIMEOUT_MS;
  defineGauge(registry, METRICS.queueJobs, async function collect() {
    this.reset();
    const counts = await withTimeout(options.jobCounts(...QUEUE_JOB_STATES), timeoutMs);
    // Stale numbers would look like a healthy queue: while the queue does not answer, the series are absent.
    if (counts === null) return;
    for (const state of QUEUE_JOB_STATES) this.set({ state }, counts[state] ?? 0);
  });
  // Every counter present at 0 from the start, so rate() and increase() see the first event.
  for (const outcome of ATTEMPT_OUTCOMES) attempts.inc({ outcome }, 0);
  for (const counter of [staleJobs, repairs, lost]) counter.inc(0);
  for (const limit of ['user', 'flow']) waits.inc({ limit }, 0);
  for (const channel of ['email', 'callback'])
    for (const outcome of ['sent', 'retried', 'failed']) notifications.inc({ channel, outcome }, 0);

  return {
    registry,
    attempts: {
      staleJobDropped: () => staleJobs.inc(),
      attemptWaited: (limit) => waits.inc({ limit }),
      attemptStarted(latenessMs) {
        inFlight.inc();
        lateness.observe(Math.max(0, latenessMs) / 1000);
      },
      attemptRecorded(outcome, durationMs) {
        attempts.inc({ outcome });
        duration.observe({ outcome }, durationMs / 1000);
      },
      attemptEnded: () => inFlight.dec(),
      storeWaited: (step, ms) => storeWait.observe({ step }, ms / 1000),
    },
    maintenance: {
      lostAttemptsClosed: (count) => lost.inc(count),
      jobsReenqueued: (count) => repairs.inc(count),
    },
    deliveries: {
      delivered: (channel, outcome) => notifications.inc({ channel, outcome }),
    },
  };
}

/** The promise's value, or null when it rejects or takes longer than `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([promise.catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
