import { ATTEMPT_OUTCOMES } from '@punctual/scheduling';

/** The queue states `punctual_queue_jobs` reports: BullMQ's own list (what `getJobCounts()` counts by default). */
export const QUEUE_JOB_STATES = ['waiting', 'delayed', 'prioritized', 'active', 'waiting-children', 'completed', 'failed'] as const;
export type QueueJobState = (typeof QUEUE_JOB_STATES)[number];

/** `route` of a request that matched no route (a 404 of an unknown path): one value, never the URL. */
export const UNMATCHED_ROUTE = 'unmatched';

export interface MetricDefinition {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  labelNames: readonly string[];
  /** Upper bounds in seconds (histograms only). */
  buckets?: readonly number[];
  /** Which process exposes it at `/metrics`. */
  process: 'api' | 'worker';
}

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// An attempt's call is bounded by its timeoutMs, at most 300 s.
const ATTEMPT_DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
// Lateness is normally well under a second; minutes mean a backlog, hours an outage.
const LATENESS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
// A claim or record is a few milliseconds when Postgres keeps up; tens mean it (or the machine) is the bottleneck.
const STORE_WAIT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Every metric Punctual defines, once: the registries of the API and the worker are built from it, and the tests check
 * the Grafana dashboard and the README's table against it. Label values are bounded: no task, run or user ids, and
 * `route` is the route's template (`/api/v1/tasks/:id`), never the URL.
 */
export const METRICS = {
  httpRequests: {
    name: 'punctual_http_requests_total',
    type: 'counter',
    help: 'HTTP requests answered by the API, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    process: 'api',
  },
  httpRequestDuration: {
    name: 'punctual_http_request_duration_seconds',
    type: 'histogram',
    help: 'Time from receiving a request to sending its response, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: HTTP_BUCKETS,
    process: 'api',
  },
  tasksCreated: {
    name: 'punctual_tasks_created_total',
    type: 'counter',
    help: 'Tasks created (an Idempotency-Key replay creates none and is not counted)',
    labelNames: [],
    process: 'api',
  },
  attempts: {
    name: 'punctual_attempts_total',
    type: 'counter',
    help: `Attempts this worker made and recorded, by outcome (${ATTEMPT_OUTCOMES.join(', ')})`,
    labelNames: ['outcome'],
    process: 'worker',
  },
  attemptDuration: {
    name: 'punctual_attempt_duration_seconds',
    type: 'histogram',
    help: "Duration of an attempt's HTTP call, by outcome",
    labelNames: ['outcome'],
    buckets: ATTEMPT_DURATION_BUCKETS,
    process: 'worker',
  },
  attemptLateness: {
    name: 'punctual_attempt_lateness_seconds',
    type: 'histogram',
    help: 'How late an attempt started: its start minus the time it was due (0 when early)',
    labelNames: [],
    buckets: LATENESS_BUCKETS,
    process: 'worker',
  },
  attemptStoreWait: {
    name: 'punctual_attempt_store_wait_seconds',
    type: 'histogram',
    help: 'How long an attempt waited for Postgres to claim it (step claim) or to record its outcome (step record), the wait for the batch under way included',
    labelNames: ['step'],
    buckets: STORE_WAIT_BUCKETS,
    process: 'worker',
  },
  attemptsInFlight: {
    name: 'punctual_attempts_in_flight',
    type: 'gauge',
    help: 'Attempts this worker has claimed and not yet finished',
    labelNames: [],
    process: 'worker',
  },
  attemptWaits: {
    name: 'punctual_attempt_waits_total',
    type: 'counter',
    help: 'Times an attempt did not fit under a fleet-wide limit (limit user: USER_CONCURRENCY; flow: its flowControl key) and was put back unclaimed to wait its turn: no attempt used, not a failure; the wait shows in punctual_attempt_lateness_seconds',
    labelNames: ['limit'],
    process: 'worker',
  },
  staleJobsDropped: {
    name: 'punctual_stale_jobs_dropped_total',
    type: 'counter',
    help: 'Jobs dropped without a call because their task had moved on (rescheduled, paused, cancelled, deleted, or run)',
    labelNames: [],
    process: 'worker',
  },
  reconcilerRepairs: {
    name: 'punctual_reconciler_repairs_total',
    type: 'counter',
    help: 'Jobs the reconciler put back because they were missing from the queue (counted by the worker holding the maintenance lock)',
    labelNames: [],
    process: 'worker',
  },
  lostAttempts: {
    name: 'punctual_lost_attempts_total',
    type: 'counter',
    help: 'Attempts of lost workers (lease lapsed) that the reconciler closed as failed with "worker lost"',
    labelNames: [],
    process: 'worker',
  },
  notifications: {
    name: 'punctual_notifications_total',
    type: 'counter',
    help: 'Outcome deliveries this worker made, by channel (email, callback) and outcome (sent; retried: failed, tried again later; failed: given up on)',
    labelNames: ['channel', 'outcome'],
    process: 'worker',
  },
  queueJobs: {
    name: 'punctual_queue_jobs',
    type: 'gauge',
    help: `Jobs in the tasks queue by state (${QUEUE_JOB_STATES.join(', ')}); absent when the queue does not answer within the scrape's bound`,
    labelNames: ['state'],
    process: 'worker',
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;
