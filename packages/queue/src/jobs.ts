import { type Static, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { JobsOptions, WorkerOptions } from 'bullmq';

const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/** The queue every task attempt goes through. */
export const TASKS_QUEUE = 'tasks';
/** The queue of outcome deliveries (emails and callbacks): slow SMTP servers and targets never hold up attempts. */
export const NOTIFICATIONS_QUEUE = 'notifications';

/**
 * A delivery's retry delays: 5 s, then doubling up to an hour (BullMQ's `backoff: { type: 'delivery' }`, resolved by the
 * notifications worker's strategy). With DELIVERY_JOB_ATTEMPTS they span more than DELIVERY_WINDOW_MS, after which
 * the delivery gives up on its own: the window, not the count, ends it.
 */
export function deliveryRetryDelayMs(attemptsMade: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, attemptsMade - 1), 3_600_000);
}
/** How long a delivery is retried: 24 h from its event. */
export const DELIVERY_WINDOW_MS = 24 * 3_600_000;
const DELIVERY_JOB_ATTEMPTS = 40;

/**
 * The typed job catalog: job name → payload schema and options. Payloads carry ids only, never a task's URL,
 * headers, body or token: Postgres holds those, so Redis stays small and secrets stay out of it.
 */
export const JOBS = {
  'task-attempt': {
    payload: Type.Object(
      {
        taskId: Type.String({ pattern: UUID_PATTERN }),
        /**
         * Not written since the job carries only what its claim needs (the run id comes with the claimed row): 46 bytes
         * of every pending task's share of Redis. Accepted, and ignored, in jobs queued by an earlier version.
         */
        runId: Type.Optional(Type.String({ pattern: UUID_PATTERN })),
        /** The task version this attempt was scheduled for; a worker drops the job when the task has moved on. */
        version: Type.Integer({ minimum: 1 }),
      },
      { additionalProperties: false },
    ),
    options: {
      // A processor error (Postgres away, say) is retried by BullMQ; the HTTP attempt itself is fenced in Postgres.
      attempts: 10,
      backoff: { type: 'exponential', delay: 1_000 },
    } satisfies JobsOptions,
  },
  'notification-delivery': {
    payload: Type.Object({ notificationId: Type.String({ pattern: UUID_PATTERN }) }, { additionalProperties: false }),
    options: { attempts: DELIVERY_JOB_ATTEMPTS, backoff: { type: 'delivery' } } satisfies JobsOptions,
  },
} as const;

/**
 * How long the `tasks` worker keeps finished jobs. Completed jobs are not kept: Postgres has the log. Failed jobs
 * (infrastructure errors) are kept a while. Set on the worker, which BullMQ applies to jobs that name none, rather
 * than on each job: a job's own options are stored in its hash, ~70 bytes of every pending task's share of Redis.
 */
export const TASKS_RETENTION = {
  removeOnComplete: { count: 0 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
} satisfies Pick<WorkerOptions, 'removeOnComplete' | 'removeOnFail'>;

/** Delivery jobs: completed ones are not kept (the notification row says `sent`); failed ones a while. */
export const NOTIFICATIONS_RETENTION = TASKS_RETENTION;

/** The notifications worker's settings: BullMQ asks it for the delay of a `delivery` backoff. */
export const NOTIFICATIONS_WORKER_SETTINGS = {
  backoffStrategy: (attemptsMade: number) => deliveryRetryDelayMs(attemptsMade),
} satisfies WorkerOptions['settings'];

export type JobName = keyof typeof JOBS;
export type JobPayload<Name extends JobName> = Static<(typeof JOBS)[Name]['payload']>;
export type TaskAttemptJob = JobPayload<'task-attempt'>;
export type NotificationJob = JobPayload<'notification-delivery'>;

/** The data a task attempt's job is written with: the task and the version it was made for, nothing else. */
export function taskAttemptJobData(job: Pick<TaskAttemptJob, 'taskId' | 'version'>): TaskAttemptJob {
  return { taskId: job.taskId, version: job.version };
}

/**
 * The job id of a task's scheduled attempt: one per (task, version), so enqueueing the same scheduled attempt
 * twice is a no-op, and a rescheduled task (new version) gets a new job while the old one is dropped as stale.
 */
export function taskAttemptJobId(job: Pick<TaskAttemptJob, 'taskId' | 'version'>): string {
  return `${job.taskId}.${job.version}`;
}

// Compiled once: every attempt's job is checked, and the interpreted Value.Check was ~2 % of a worker's CPU.
const taskAttemptJob = Compile(JOBS['task-attempt'].payload);

/** Validates a job's data; returns null for anything that is not a well-formed task attempt. */
export function parseTaskAttemptJob(data: unknown): TaskAttemptJob | null {
  return taskAttemptJob.Check(data) ? data : null;
}

const notificationJob = Compile(JOBS['notification-delivery'].payload);

/** Validates a delivery job's data; returns null for anything else. */
export function parseNotificationJob(data: unknown): NotificationJob | null {
  return notificationJob.Check(data) ? data : null;
}
