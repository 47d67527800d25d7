import type { IQueueBackend, JobsOptions, Queue } from 'bullmq';
import { JOBS, taskAttemptJobData, taskAttemptJobId, type TaskAttemptJob } from './jobs.js';

/** BullMQ's `tasks` queue on either backend (Bull Board and the queue-depth metric read it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- BullMQ's own defaults for data and result types.
export type TasksQueue = Queue<any, any, string, any, any, string, IQueueBackend, any>;

/** Where scheduled attempts are put: a thin typed face over the BullMQ `tasks` queue. */
export interface TaskQueue {
  /** Adds the attempt as a delayed job due at `runAt` (at once when past). Idempotent per (task, version). */
  enqueueAttempt(job: TaskAttemptJob, runAt: Date | null): Promise<void>;
  /** The same for many attempts, in one round trip. */
  enqueueAttempts(attempts: readonly { job: TaskAttemptJob; runAt: Date | null }[]): Promise<void>;
  /** Removes the queued jobs of these (task, version)s when they are still waiting; one that a worker holds is left to its version fence. */
  discardAttempts(jobs: readonly Pick<TaskAttemptJob, 'taskId' | 'version'>[]): Promise<void>;
  /**
   * Which of these attempts have no job waiting in the queue (never added, lost with the queue's data, or given up on
   * by BullMQ after its retries), in one round trip. Jobs that BullMQ gave up on are removed, so adding the attempt
   * again takes effect.
   */
  missingAttempts<T extends Pick<TaskAttemptJob, 'taskId' | 'version'>>(jobs: readonly T[]): Promise<T[]>;
  /**
   * Makes these delayed jobs due now (by job id): attempts waiting for a slot that just came back. A job that is not
   * delayed (already woken, running, gone) is left as it is.
   */
  wakeAttempts(jobIds: readonly string[]): Promise<void>;
  readonly queue: TasksQueue;
  close(): Promise<void>;
}

/**
 * What a backend knows of some job ids in one round trip: a job id maps to `live` (waiting, delayed or active),
 * `finished` (completed or failed for good) or is absent (no such job).
 */
export type JobStates = (jobIds: readonly string[]) => Promise<Map<string, 'live' | 'finished'>>;

/** The task queue over a BullMQ queue of either backend; `jobStates` is the backend's own one-round-trip lookup. */
export function createTaskQueue(queue: TasksQueue, jobStates: JobStates): TaskQueue {
  // Errors surface on the calls that fail; the queue's own 'error' event must not crash the process.
  queue.on('error', () => {});
  return {
    queue,
    async enqueueAttempt(job, runAt) {
      await queue.add('task-attempt', taskAttemptJobData(job), jobOptions(job, runAt));
    },
    async enqueueAttempts(attempts) {
      if (attempts.length === 0) return;
      // One job through `add`: ioredis builds a pipeline (MULTI) for every addBulk, which costs a one-job create a
      // sixth of the API's CPU.
      const [only] = attempts;
      if (attempts.length === 1 && only) {
        await queue.add('task-attempt', taskAttemptJobData(only.job), jobOptions(only.job, only.runAt));
        return;
      }
      // In job id order. Several producers may add the same attempts at once: the API or a worker what it just committed,
      // the reconciler the same tasks when it finds their jobs missing. BullMQ's PostgreSQL backend inserts a batch
      // row by row (`add_jobs_bulk`, ON CONFLICT DO NOTHING), and an insert whose id another open transaction has just
      // inserted waits for it; two batches sharing ids in different orders then waited on each other, and Postgres
      // ended one with `deadlock detected` (40P01). In one order for every producer, whoever comes second at the first
      // shared id waits there holding none of the others, so no cycle forms. (Redis runs a batch atomically: the order
      // costs nothing there.) The order of the batch's waiting jobs is not a promise: they are all due now.
      const sorted = attempts
        .map(({ job, runAt }) => ({ id: taskAttemptJobId(job), job, runAt }))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      await queue.addBulk(
        sorted.map(({ job, runAt }) => ({ name: 'task-attempt', data: taskAttemptJobData(job), opts: jobOptions(job, runAt) })),
      );
    },
    async discardAttempts(jobs) {
      // A job that is active (locked by a worker) cannot be removed; its claim fails on the version, which is enough.
      await Promise.all(jobs.map((job) => queue.remove(taskAttemptJobId(job)).catch(() => 0)));
    },
    async missingAttempts(jobs) {
      if (jobs.length === 0) return [];
      const states = await jobStates(jobs.map(taskAttemptJobId));
      const missing = jobs.filter((job) => states.get(taskAttemptJobId(job)) !== 'live');
      const finished = missing.map(taskAttemptJobId).filter((id) => states.get(id) === 'finished');
      await Promise.all(finished.map((id) => queue.remove(id).catch(() => 0)));
      return missing;
    },
    async wakeAttempts(jobIds) {
      await Promise.all(jobIds.map((id) => queue.backend.promote(id).catch(() => {})));
    },
    close: () => queue.close(),
  };
}

function jobOptions(job: TaskAttemptJob, runAt: Date | null): JobsOptions {
  const delay = runAt === null ? 0 : Math.max(0, runAt.getTime() - Date.now());
  return { ...JOBS['task-attempt'].options, jobId: taskAttemptJobId(job), delay };
}
