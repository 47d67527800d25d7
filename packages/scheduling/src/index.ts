export { nextStateAfterAttempt, type FinishedAttempt, type NextState } from './attempt-outcome.js';
export { retryDelayMs, type BackoffPolicy, type BackoffType } from './backoff.js';
export { InvalidScheduleError, checkCronSchedule, nextOccurrence, type CronSchedule } from './cron-schedule.js';
export { ATTEMPT_OUTCOMES, SCHEDULED_STATUSES, TASK_STATUSES, isTerminal, type AttemptOutcome, type TaskStatus } from './task-status.js';
export {
  ALLOWED_FROM,
  BULK_ACTIONS,
  TASK_ACTIONS,
  isAllowed,
  type BulkAction,
  type TaskAction,
  type TaskOperation,
} from './transitions.js';
