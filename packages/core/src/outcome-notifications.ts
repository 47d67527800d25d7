import { randomUUID } from 'node:crypto';
import type { JsonValue, NewNotification, TaskRow } from '@punctual/db';
import type { EmailFacts } from '@punctual/notifier';
import { outcomeDeliveries, type AttemptResponse, type OutcomeCallback, type OutcomeEmail } from '@punctual/scheduling';

/** How much of the response body a callback carries. */
export const CALLBACK_RESPONSE_BODY_BYTES = 4096;

/** The error an email is recorded with when this worker has no SMTP server to send it through. */
export const NO_SMTP_ERROR = 'not sent: SMTP_URL is not set';

export interface NotificationSettings {
  /** Emails can be sent (SMTP_URL is set); otherwise each is recorded as failed with NO_SMTP_ERROR. */
  emailEnabled: boolean;
}

/** An attempt's outcome as its notifications tell it. */
export interface NotifiedOutcome {
  /** The task as claimed: its run, settings and failure streak. */
  task: TaskRow;
  /** The attempt's number within its run. */
  attempt: number;
  result: AttemptResponse;
  /** Whether the run is over, and when the next attempt is due when it is not. */
  runFinished: boolean;
  nextRunAt: Date | null;
  finishedAt: Date;
}

/**
 * The notification rows an attempt's outcome asks for (see outcomeDeliveries): emails to `notify.email` or the owner,
 * callbacks to the task's URLs. Each payload says what happened at this attempt, so a delivery made later says the same.
 * Also whether the failure streak's alert has gone out, after this outcome.
 */
export function outcomeNotifications(
  outcome: NotifiedOutcome,
  settings: NotificationSettings,
): { notifications: NewNotification[]; failureAlerted: boolean } {
  const { task } = outcome;
  const deliveries = outcomeDeliveries({
    outcome: outcome.result.outcome,
    runFinished: outcome.runFinished,
    recurring: task.cron !== null,
    notify: task.notify,
    callbacks: task.callbacks,
    consecutiveFailures: task.consecutive_failures,
    failureAlerted: task.failure_alerted,
  });
  const emails = deliveries.emails.map((event): NewNotification => ({
    id: randomUUID(),
    channel: 'email',
    event,
    recipient: task.notify.email ?? null,
    payload: emailFacts(outcome, event) as unknown as Record<string, JsonValue>,
    status: settings.emailEnabled ? 'pending' : 'failed',
    lastError: settings.emailEnabled ? null : NO_SMTP_ERROR,
  }));
  const callbacks = deliveries.callbacks.map(({ type, url }): NewNotification => ({
    id: randomUUID(),
    channel: 'callback',
    event: type,
    recipient: url,
    payload: callbackPayload(outcome, type),
    status: 'pending',
    lastError: null,
  }));
  return { notifications: [...emails, ...callbacks], failureAlerted: deliveries.failureAlerted };
}

function emailFacts(outcome: NotifiedOutcome, event: OutcomeEmail): EmailFacts {
  const { task, result } = outcome;
  return {
    event,
    taskId: task.id,
    taskName: task.name,
    url: task.url,
    method: task.method,
    runId: task.run_id,
    attempt: outcome.attempt,
    maxAttempts: task.max_retries + 1,
    statusCode: result.statusCode,
    error: result.error,
    durationMs: result.durationMs,
    finishedAt: outcome.finishedAt.toISOString(),
    nextRetryAt: event === 'attempt.retrying' && outcome.nextRunAt ? outcome.nextRunAt.toISOString() : null,
    consecutiveFailures:
      event === 'task.failing' ? task.consecutive_failures + 1 : event === 'task.recovered' ? task.consecutive_failures : null,
  };
}

/** The contract's callback body. */
function callbackPayload(outcome: NotifiedOutcome, type: OutcomeCallback): Record<string, JsonValue> {
  const { task, result } = outcome;
  return {
    type,
    taskId: task.id,
    runId: task.run_id,
    attempts: outcome.attempt,
    statusCode: result.statusCode,
    durationMs: result.durationMs,
    error: result.error,
    responseBody: result.responseBody === null ? null : utf8Prefix(result.responseBody, CALLBACK_RESPONSE_BODY_BYTES),
    finishedAt: outcome.finishedAt.toISOString(),
  };
}

/** The longest prefix of `text` within `maxBytes` of UTF-8, never cutting a character in two. */
export function utf8Prefix(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back off continuation bytes (10xxxxxx) so the cut falls on a character's first byte.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}
