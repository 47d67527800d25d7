import {
  deleteLogsStartedBefore,
  deleteNotificationsCreatedBefore,
  findLostAttempts,
  finishAttempt,
  listScheduledTasks,
  purgeExpiredIdempotencyKeys,
  type Database,
  type Kysely,
  type ScheduleCursor,
} from '@punctual/db';
import type { NotificationQueue, TaskQueue } from '@punctual/queue';
import { failedWithoutResponse } from '@punctual/executor/attempt-result';
import { attemptTiming, stateAfterAttempt } from './attempt-runner.js';
import { enqueueDeliveries } from './notification-delivery.js';
import type { NotificationSettings } from './outcome-notifications.js';
import { enqueueNextAttempts, type Logger } from './task-context.js';

/** The error a lost attempt's log is closed with. */
export const WORKER_LOST = 'worker lost';

export interface ReconcilerContext {
  db: Kysely<Database>;
  queue: TaskQueue;
  logger: Logger;
  /** A lost attempt's failure notifies like any failure; pending deliveries missing from the queue are put back. */
  notifications: NotificationSettings & { queue: NotificationQueue };
  /** MISFIRE_GRACE_MS (default 60 000), for the next run of a recurring task whose attempt was lost. */
  misfireGraceMs?: number;
}

export interface QueueRepairOptions {
  /** Tasks due up to this far ahead are checked (later ones are checked on a later pass, as their time comes closer). */
  lookaheadMs: number;
  /** Tasks read and checked per round trip. */
  batchSize: number;
  /** At most this many batches per pass; a longer backlog carries on from `cursor` next pass. */
  maxBatches: number;
  /** Where the previous pass stopped, when it stopped early. */
  cursor?: ScheduleCursor;
}

/**
 * Closes the attempts of workers that died mid-attempt (their lease lapsed): each open log is closed as a failed
 * attempt with error `worker lost`, and the run continues by the retry policy (another attempt after backoff, or the
 * run is over), exactly as if the attempt had failed. Returns how many were recovered.
 */
export async function recoverLostAttempts(context: ReconcilerContext, options: { limit: number }): Promise<number> {
  const lost = await findLostAttempts(context.db, options);
  const recovered = [];
  for (const attempt of lost) {
    const timing = attemptTiming(context, attempt.startedAt);
    const result = failedWithoutResponse(WORKER_LOST, Math.max(0, timing.now.getTime() - attempt.startedAt.getTime()), 'lost');
    const task = await finishAttempt(context.db, {
      claimed: attempt,
      record: { ...result, startedAt: attempt.startedAt },
      decide: (current) => stateAfterAttempt(current, result, timing, { attempt: attempt.attempt, settings: context.notifications }),
    });
    if (task) {
      recovered.push(task);
      // One line per attempt, with its fields like every attempt line: workerId (the logger's) is the worker that closes
      // it, lostWorkerId the one that claimed it and died.
      context.logger.warn(
        { taskId: attempt.task.id, runId: attempt.task.run_id, attempt: attempt.attempt, lostWorkerId: attempt.workerId },
        'closed the attempt of a lost worker as failed (worker lost); its run goes on',
      );
    }
  }
  await enqueueNextAttempts(context, recovered);
  await enqueueDeliveries({ queue: context.notifications.queue, logger: context.logger }, recovered);
  return recovered.length;
}

/**
 * Puts back every waiting task whose job is missing from Redis (an enqueue that failed after the commit, `FLUSHALL`,
 * a Redis restarted without persistence, an eviction), for its `nextRunAt`. Walks the tasks due within the look-ahead
 * by keyset pagination, checks each batch's jobs in one round trip, and adds the missing ones in bulk; a job that
 * exists is left alone (job ids come from the task and version, so adding one twice is a no-op anyway). The next
 * batch is read from Postgres while the queue checks this one, so a pass takes the slower of the two, not their sum.
 */
export async function repairQueue(
  context: ReconcilerContext,
  options: QueueRepairOptions,
): Promise<{ checked: number; enqueued: number; cursor?: ScheduleCursor }> {
  const before = new Date(Date.now() + options.lookaheadMs);
  const read = (after: ScheduleCursor | undefined) => {
    const batch = listScheduledTasks(context.db, { before, after, limit: options.batchSize });
    // Awaited on the next turn; until then a failure must not count as unhandled (this turn may fail first).
    batch.catch(() => {});
    return batch;
  };
  let cursor = options.cursor;
  let next = read(cursor);
  let checked = 0;
  let enqueued = 0;
  for (let batch = 0; batch < options.maxBatches; batch += 1) {
    const tasks = await next;
    checked += tasks.length;
    const full = tasks.length === options.batchSize;
    if (full) {
      cursor = tasks[tasks.length - 1]!.cursor;
      if (batch + 1 < options.maxBatches) next = read(cursor);
    }
    const missing = await context.queue.missingAttempts(tasks.map((task) => ({ ...task, taskId: task.id })));
    if (missing.length > 0) {
      await context.queue.enqueueAttempts(
        missing.map((task) => ({ job: { taskId: task.id, runId: task.run_id, version: task.version }, runAt: task.next_run_at })),
      );
      enqueued += missing.length;
    }
    if (!full) return { checked, enqueued };
  }
  return { checked, enqueued, cursor };
}

/**
 * Deletes logs and notifications older than the retention period and expired idempotency keys, in batches. Returns
 * the counts.
 */
export async function applyRetention(
  context: Pick<ReconcilerContext, 'db'>,
  options: { logRetentionDays: number; batchSize: number; maxBatches: number; idempotencyKeyTtlMs: number },
): Promise<{ logs: number; notifications: number; idempotencyKeys: number }> {
  const before = new Date(Date.now() - options.logRetentionDays * 86_400_000);
  const inBatches = async (deleteBatch: (batch: { before: Date; batchSize: number }) => Promise<number>): Promise<number> => {
    let total = 0;
    for (let batch = 0; batch < options.maxBatches; batch += 1) {
      const deleted = await deleteBatch({ before, batchSize: options.batchSize });
      total += deleted;
      if (deleted < options.batchSize) break;
    }
    return total;
  };
  const logs = await inBatches((batch) => deleteLogsStartedBefore(context.db, batch));
  const notifications = await inBatches((batch) => deleteNotificationsCreatedBefore(context.db, batch));
  const idempotencyKeys = await purgeExpiredIdempotencyKeys(context.db, {
    olderThan: new Date(Date.now() - options.idempotencyKeyTtlMs),
    batchSize: options.batchSize,
  });
  return { logs, notifications, idempotencyKeys };
}
