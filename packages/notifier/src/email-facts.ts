/** The emails an outcome can ask for. */
export const EMAIL_EVENTS = ['attempt.retrying', 'run.failed', 'task.failing', 'task.recovered'] as const;
export type EmailEvent = (typeof EMAIL_EVENTS)[number];

/**
 * What an outcome email states: written as the notification's payload when the attempt is recorded (so the email says
 * what happened then, whatever the task becomes), and rendered when it is delivered.
 */
export interface EmailFacts {
  event: EmailEvent;
  taskId: string;
  taskName: string;
  url: string;
  method: string;
  runId: string;
  /** The attempt whose outcome made the event (1-based, within its run). */
  attempt: number;
  /** Attempts a run may make: 1 + maxRetries. */
  maxAttempts: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number | null;
  /** ISO time the attempt finished. */
  finishedAt: string;
  /** attempt.retrying: ISO time of the next attempt. */
  nextRetryAt: string | null;
  /** task.failing: the runs in a row that failed (= afterConsecutiveFailures); task.recovered: those before this success. */
  consecutiveFailures: number | null;
}

/** An email ready to send. */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Sent as the Message-ID (`<id@punctual>`), so a receiver can tell a repeated delivery of the same event. */
  id: string;
}
