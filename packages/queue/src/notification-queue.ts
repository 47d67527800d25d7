import type { IQueueBackend, Queue } from 'bullmq';
import { JOBS, type NotificationJob } from './jobs.js';
import type { JobStates } from './task-queue.js';

/** BullMQ's `notifications` queue on either backend. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- BullMQ's own defaults for data and result types.
export type NotificationsQueue = Queue<any, any, string, any, any, string, IQueueBackend, any>;

/**
 * Where outcome deliveries are put: one job per notification row, its id the row's, so queueing one twice (the worker
 * after its commit, the reconciler finding it missing) is a no-op and a retried job is the same delivery.
 */
export interface NotificationQueue {
  /** Queues the deliveries of these notification ids, due at once, in one round trip. */
  enqueueDeliveries(notificationIds: readonly string[]): Promise<void>;
  /**
   * Which of these notifications have no live job (never added, lost with the queue's data, or given up on by BullMQ),
   * in one round trip; the given-up jobs are removed so adding them again takes effect.
   */
  missingDeliveries(notificationIds: readonly string[]): Promise<string[]>;
  readonly queue: NotificationsQueue;
  close(): Promise<void>;
}

export function createNotificationQueue(queue: NotificationsQueue, jobStates: JobStates): NotificationQueue {
  queue.on('error', () => {});
  return {
    queue,
    async enqueueDeliveries(notificationIds) {
      if (notificationIds.length === 0) return;
      // In id order, like attempts: batches from several producers sharing ids cannot deadlock on the Postgres backend.
      const sorted = [...new Set(notificationIds)].sort();
      await queue.addBulk(
        sorted.map((id) => ({
          name: 'notification-delivery',
          data: { notificationId: id } satisfies NotificationJob,
          opts: { ...JOBS['notification-delivery'].options, jobId: id },
        })),
      );
    },
    async missingDeliveries(notificationIds) {
      if (notificationIds.length === 0) return [];
      const states = await jobStates(notificationIds);
      const missing = notificationIds.filter((id) => states.get(id) !== 'live');
      await Promise.all(missing.filter((id) => states.get(id) === 'finished').map((id) => queue.remove(id).catch(() => 0)));
      return missing;
    },
    close: () => queue.close(),
  };
}
