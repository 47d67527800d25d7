import { Queue, type JobsOptions, type Telemetry } from 'bullmq';
import type { Redis } from 'ioredis';
import { JOBS, TASKS_QUEUE, taskAttemptJobId, type TaskAttemptJob } from './jobs.js';

/** Where scheduled attempts are put: a thin typed face over the BullMQ `tasks` queue. */
export interface TaskQueue {
  /** Adds the attempt as a delayed job due at `runAt` (at once when past). Idempotent per (task, version). */
  enqueueAttempt(job: TaskAttemptJob, runAt: Date | null): Promise<void>;
  /** The same for many attempts, in one round trip. */
  enqueueAttempts(attempts: readonly { job: TaskAttemptJob; runAt: Date | null }[]): Promise<void>;
  /** Removes the queued jobs of these (task, version)s when they are still waiting; one that a worker holds is left to its version fence. */
  discardAttempts(jobs: readonly Pick<TaskAttemptJob, 'taskId' | 'version'>[]): Promise<void>;
  /**
   * Which of these attempts have no job waiting in Redis (never added, lost with Redis's data, or given up on by BullMQ
   * after its retries). Jobs that BullMQ gave up on are removed, so adding the attempt again takes effect.
   */
  missingAttempts<T extends Pick<TaskAttemptJob, 'taskId' | 'version'>>(jobs: readonly T[]): Promise<T[]>;
  readonly queue: Queue;
  close(): Promise<void>;
}

/** `telemetry` (when tracing is on): each enqueue is a producer span, its context kept in the job's options. */
export function createTaskQueue(options: { connection: Redis; prefix: string; telemetry?: Telemetry | undefined }): TaskQueue {
  const queue = new Queue(TASKS_QUEUE, { connection: options.connection, prefix: options.prefix, telemetry: options.telemetry });
  // Errors surface on the calls that fail; the queue's own 'error' event must not crash the process.
  queue.on('error', () => {});
  return {
    queue,
    async enqueueAttempt(job, runAt) {
      await queue.add('task-attempt', job, jobOptions(job, runAt));
    },
    async enqueueAttempts(attempts) {
      if (attempts.length === 0) return;
      await queue.addBulk(attempts.map(({ job, runAt }) => ({ name: 'task-attempt', data: job, opts: jobOptions(job, runAt) })));
    },
    async discardAttempts(jobs) {
      // A job that is active (locked by a worker) cannot be removed; its claim fails on the version, which is enough.
      await Promise.all(jobs.map((job) => queue.remove(taskAttemptJobId(job)).catch(() => 0)));
    },
    async missingAttempts(jobs) {
      if (jobs.length === 0) return [];
      const pipeline = options.connection.pipeline();
      // A job's hash exists from add until removal; `finishedOn` is set once it completed or failed for good.
      for (const job of jobs) pipeline.hmget(queue.toKey(taskAttemptJobId(job)), 'timestamp', 'finishedOn');
      const replies = (await pipeline.exec()) ?? [];
      const missing: (typeof jobs)[number][] = [];
      const finished: string[] = [];
      jobs.forEach((job, index) => {
        const [error, fields] = replies[index] ?? [null, null];
        if (error) throw error;
        const [timestamp, finishedOn] = (fields ?? [null, null]) as [string | null, string | null];
        if (timestamp === null) missing.push(job);
        else if (finishedOn !== null) {
          missing.push(job);
          finished.push(taskAttemptJobId(job));
        }
      });
      await Promise.all(finished.map((id) => queue.remove(id).catch(() => 0)));
      return missing;
    },
    close: () => queue.close(),
  };
}

function jobOptions(job: TaskAttemptJob, runAt: Date | null): JobsOptions {
  const delay = runAt === null ? 0 : Math.max(0, runAt.getTime() - Date.now());
  return { ...JOBS['task-attempt'].options, jobId: taskAttemptJobId(job), delay };
}
