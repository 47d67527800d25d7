import { deliverNotification, DeliveryRetryError, type DeliveryContext } from '@punctual/core';
import { parseNotificationJob } from '@punctual/queue';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';

/**
 * The `notifications` queue's processor: parses the job (a notification id) and delivers it. A delivery to try again
 * fails the job, which BullMQ retries after the delivery backoff (its error is on the notification row too).
 */
export function createNotificationProcessor(context: DeliveryContext, logger: Logger) {
  return async (job: Job): Promise<void> => {
    const payload = parseNotificationJob(job.data);
    if (!payload) {
      logger.warn({ jobId: job.id, name: job.name }, 'dropping a job that is not a notification delivery');
      return;
    }
    const outcome = await deliverNotification(context, {
      notificationId: payload.notificationId,
      attemptsMade: job.attemptsMade,
      maxAttempts: job.opts.attempts ?? 1,
    });
    if (outcome !== 'skipped') logger.info({ notificationId: payload.notificationId, outcome }, 'notification delivered');
  };
}

/** Whether a failed delivery job is one BullMQ simply retries (logged at debug: the row holds the error). */
export function isDeliveryRetry(error: unknown): boolean {
  return error instanceof DeliveryRetryError;
}
