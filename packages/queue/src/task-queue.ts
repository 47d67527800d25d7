import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { JOBS, TASKS_QUEUE, taskAttemptJobId, type TaskAttemptJob } from './jobs.js';

/** Where scheduled attempts are put: a thin typed face over the BullMQ `tasks` queue. */
export interface TaskQueue {
  /** Adds the attempt as a delayed job due at `runAt` (at once when past). Idempotent per (task, version). */
  enqueueAttempt(job: TaskAttemptJob, runAt: Date | null): Promise<void>;
  readonly queue: Queue;
  close(): Promise<void>;
}

export function createTaskQueue(options: { connection: Redis; prefix: string }): TaskQueue {
  const queue = new Queue(TASKS_QUEUE, { connection: options.connection, prefix: options.prefix });
  // Errors surface on the calls that fail; the queue's own 'error' event must not crash the process.
  queue.on('error', () => {});
  return {
    queue,
    async enqueueAttempt(job, runAt) {
      const delay = runAt === null ? 0 : Math.max(0, runAt.getTime() - Date.now());
      await queue.add('task-attempt', job, { ...JOBS['task-attempt'].options, jobId: taskAttemptJobId(job), delay });
    },
    close: () => queue.close(),
  };
}
