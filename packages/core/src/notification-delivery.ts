import {
  claimNotification,
  findSigningSecret,
  finishNotification,
  listPendingNotifications,
  type ClaimedNotification,
  type Database,
  pendingNotificationIds,
  type Kysely,
  type TaskAfterAttempt,
} from '@punctual/db';
// Subpath imports: the executor's index loads undici and OpenTelemetry, which the API (also a user of core) never needs.
import { BLOCKED_ADDRESS_CODE } from '@punctual/executor/blocked-address-error';
import type { Executor } from '@punctual/executor';
import { EmailDeliveryError, isPermanentEmailFailure, renderEmail, type EmailFacts, type EmailMessage } from '@punctual/notifier';
import { DELIVERY_WINDOW_MS, deliveryRetryDelayMs, type NotificationQueue } from '@punctual/queue';
import { ensureSigningSecret, openSigningSecret } from './signing-secrets.js';
import type { Logger } from './task-context.js';
import { secretKeysOf } from './task-secrets.js';
import { NO_SMTP_ERROR } from './outcome-notifications.js';

/** One callback request's deadline: the whole call, reading the answer included. */
export const CALLBACK_TIMEOUT_MS = 10_000;
/**
 * How long a worker holds a notification while delivering it: longer than a callback's deadline or an SMTP exchange
 * (the mailer's timeouts), so a live worker always finishes first; a dead one's notification is free again after it.
 */
const DELIVERY_LOCK_MS = 90_000;
/** How long a delivery that went out keeps trying to record it (within its hold, so no other worker sends it meanwhile). */
const SENT_MARK_PATIENCE_MS = 60_000;

/** Sends an email; rejects with a readable error. */
export interface EmailSender {
  send(message: EmailMessage): Promise<void>;
}

export interface DeliveryContext {
  db: Kysely<Database>;
  /** Makes callbacks, through the address guard. */
  executor: Executor;
  /** Null without SMTP_URL: emails are recorded as failed. */
  mailer: EmailSender | null;
  /** PUBLIC_URL, for links in emails. */
  publicUrl: string | null;
  /** Opens the owner's signing secret (callbacks are signed like task calls). */
  secretsKey: Buffer;
  secretsKeyPrevious?: Buffer | null;
  logger: Logger;
  /** Told of each delivery's outcome (the worker's /metrics); none when absent. */
  metrics?: { delivered(channel: 'email' | 'callback', outcome: 'sent' | 'retried' | 'failed'): void };
}

/** The delivery job this is, as BullMQ counts it. */
export interface DeliveryJob {
  notificationId: string;
  /** Deliveries of this job that failed before this one. */
  attemptsMade: number;
  /** How many BullMQ makes at most. */
  maxAttempts: number;
}

export type DeliveryOutcome = 'sent' | 'failed' | 'skipped';

/** A delivery failed and is tried again later: the job fails and BullMQ retries it after deliveryRetryDelayMs. */
export class DeliveryRetryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryRetryError';
  }
}

/**
 * Delivers one notification, once: takes it (a notification already sent, given up on or held by another worker is
 * left alone), sends the email or makes the callback, and records the outcome. A failure that may pass is recorded on
 * the row and thrown as a DeliveryRetryError, for BullMQ to retry the job; a hopeless one (an SMTP 5xx, a blocked
 * address) or one whose next try would fall past 24 h from the event ends the notification as `failed`.
 */
export async function deliverNotification(context: DeliveryContext, job: DeliveryJob): Promise<DeliveryOutcome> {
  const claimed = await claimNotification(context.db, job.notificationId, DELIVERY_LOCK_MS);
  if (claimed === 'done') return 'skipped';
  if (claimed === 'busy') throw new DeliveryRetryError('another worker is delivering this notification');
  const { error, permanent } = claimed.channel === 'email' ? await sendEmail(context, claimed) : await makeCallback(context, claimed);
  if (error === null) {
    await recordSent(context, claimed);
    context.metrics?.delivered(claimed.channel, 'sent');
    return 'sent';
  }
  const outOfTime = claimed.age_ms + deliveryRetryDelayMs(job.attemptsMade + 1) > DELIVERY_WINDOW_MS;
  const lastTry = job.attemptsMade + 1 >= job.maxAttempts;
  if (permanent || outOfTime || lastTry) {
    await finishNotification(context.db, claimed, { status: 'failed', error });
    context.metrics?.delivered(claimed.channel, 'failed');
    context.logger.warn(
      { notificationId: claimed.id, taskId: claimed.task_id, channel: claimed.channel, event: claimed.event, err: error },
      'notification not delivered; given up',
    );
    return 'failed';
  }
  await finishNotification(context.db, claimed, { status: 'pending', error });
  context.metrics?.delivered(claimed.channel, 'retried');
  throw new DeliveryRetryError(error);
}

/**
 * Marks a delivered notification `sent`. Postgres failing right then would leave it pending, to be sent again once its
 * hold lapses: the mark is tried again for most of the hold (a short outage, a failover) before giving up to that.
 */
async function recordSent(context: DeliveryContext, claimed: ClaimedNotification): Promise<void> {
  const deadline = Date.now() + SENT_MARK_PATIENCE_MS;
  for (let wait = 250; ; wait = Math.min(wait * 2, 5_000)) {
    try {
      await finishNotification(context.db, claimed, { status: 'sent', error: null });
      return;
    } catch (error) {
      if (Date.now() + wait > deadline) throw error;
      context.logger.warn({ err: error, notificationId: claimed.id }, 'delivered, but not yet recorded as sent; trying again');
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

async function sendEmail(
  context: DeliveryContext,
  notification: ClaimedNotification,
): Promise<{ error: string | null; permanent: boolean }> {
  if (!context.mailer) return { error: NO_SMTP_ERROR, permanent: true };
  const message = renderEmail(notification.payload as unknown as EmailFacts, {
    publicUrl: context.publicUrl,
    to: notification.recipient,
    id: notification.id,
  });
  try {
    await context.mailer.send(message);
    return { error: null, permanent: false };
  } catch (error) {
    // The owner reads the notification's error; the SMTP server's address and replies to the login are the operator's.
    context.logger.warn({ err: error, notificationId: notification.id, taskId: notification.task_id }, 'email not sent');
    const forOwner = error instanceof EmailDeliveryError ? error.forOwner : 'the mail server did not take the message';
    return { error: forOwner, permanent: isPermanentEmailFailure(error) };
  }
}

/**
 * The contract's callback: a signed JSON POST (Standard Webhooks, `webhook-id` = `<runId>.<type>`) through the same
 * address guard as task calls. A 2xx delivers it; a blocked address never will.
 */
async function makeCallback(
  context: DeliveryContext,
  notification: ClaimedNotification,
): Promise<{ error: string | null; permanent: boolean }> {
  const keys = secretKeysOf(context);
  const userId = notification.user_id;
  const row = await findSigningSecret(context.db, userId);
  const current = row?.secret ?? (await ensureSigningSecret({ db: context.db, keys }, userId));
  const previous = row?.previous_secret && row.previous_expires_at && row.previous_expires_at > new Date() ? row.previous_secret : null;
  const secrets = (previous ? [current, previous] : [current]).map((sealed) => openSigningSecret(keys, userId, sealed));
  const result = await context.executor.execute({
    url: notification.recipient,
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Punctual-Task-Id': notification.task_id,
      'Punctual-Run-Id': notification.run_id,
      'Punctual-Event': notification.event,
    },
    body: notification.payload,
    timeoutMs: CALLBACK_TIMEOUT_MS,
    signing: { id: `${notification.run_id}.${notification.event}`, secrets },
  });
  if (result.outcome === 'succeeded') return { error: null, permanent: false };
  const error = result.error ?? `HTTP ${result.statusCode ?? '?'}`;
  return { error, permanent: error.startsWith(BLOCKED_ADDRESS_CODE) };
}

/**
 * Puts back the delivery jobs of pending notifications that the queue lost (or gave up on), as repairQueue does for
 * attempts: walks the pending rows by keyset and checks each batch's jobs in one round trip. Returns the counts and,
 * when it stopped early, where to go on.
 */
export async function repairDeliveries(
  context: { db: Kysely<Database>; queue: NotificationQueue },
  options: { batchSize: number; maxBatches: number; cursor?: string },
): Promise<{ checked: number; enqueued: number; cursor?: string }> {
  let cursor = options.cursor;
  let checked = 0;
  let enqueued = 0;
  for (let batch = 0; batch < options.maxBatches; batch += 1) {
    const pending = await listPendingNotifications(context.db, { after: cursor, limit: options.batchSize });
    checked += pending.length;
    const missing = await context.queue.missingDeliveries(pending);
    await context.queue.enqueueDeliveries(missing);
    enqueued += missing.length;
    if (pending.length < options.batchSize) return { checked, enqueued };
    cursor = pending[pending.length - 1];
  }
  return { checked, enqueued, cursor };
}

/**
 * Queues the deliveries of the notifications just committed with these tasks' attempts, and logs each one written as
 * failed at once (an email without SMTP_URL). Like an attempt's enqueue, a failure to queue loses nothing (the rows
 * are pending in Postgres and the reconciler queues them), so it is logged, not thrown.
 */
export async function enqueueDeliveries(
  context: { queue: NotificationQueue; logger: Logger },
  tasks: readonly Pick<TaskAfterAttempt, 'id' | 'notifications'>[],
): Promise<void> {
  for (const task of tasks) {
    for (const notification of task.notifications) {
      if (notification.status !== 'failed') continue;
      context.logger.warn(
        { taskId: task.id, notificationId: notification.id, channel: notification.channel, event: notification.event },
        `${notification.channel} not sent: ${notification.lastError ?? 'failed'}`,
      );
    }
  }
  const notificationIds = tasks.flatMap((task) => pendingNotificationIds(task.notifications));
  if (notificationIds.length === 0) return;
  try {
    await context.queue.enqueueDeliveries(notificationIds);
  } catch (error) {
    context.logger.warn({ err: error, notificationIds }, 'could not queue deliveries; the reconciler queues them');
  }
}
