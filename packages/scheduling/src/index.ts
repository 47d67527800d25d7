export { nextStateAfterAttempt, type AttemptResponse, type FinishedAttempt, type NextState } from './attempt-outcome.js';
export { BACKOFF_TYPES, retryDelayMs, type BackoffPolicy, type BackoffType } from './backoff.js';
export {
  DST_MARKS,
  InvalidScheduleError,
  checkCronInterval,
  checkCronSchedule,
  nextOccurrence,
  occurrencesAfter,
  type CronSchedule,
  type DstMark,
  type Occurrence,
} from './cron-schedule.js';
export { ATTEMPT_OUTCOMES, SCHEDULED_STATUSES, TASK_STATUSES, isTerminal, type AttemptOutcome, type TaskStatus } from './task-status.js';
export {
  BULK_ACTIONS,
  TASK_ACTIONS,
  TASK_OPERATIONS,
  TASK_TRANSITIONS,
  describeTransition,
  endsSchedule,
  refusalMessage,
  statusAfter,
  transitionRefusal,
  type BulkAction,
  type TaskAction,
  type TaskOperation,
  type TaskTransition,
  type TransitionSubject,
  type TransitionTarget,
} from './transitions.js';
export {
  outcomeDeliveries,
  type OutcomeCallback,
  type OutcomeDeliveries,
  type OutcomeDeliveryInput,
  type OutcomeEmail,
} from './outcome-deliveries.js';
export { localIso, previewSchedule, previewTaskSchedule, type PreviewedOccurrence, type TaskSchedulePreview } from './schedule-preview.js';
export {
  DEFAULT_MISFIRE,
  DEFAULT_RETRY_ON,
  DEFAULT_SUCCESS_CODES,
  MISFIRE_POLICIES,
  RETRY_FAILURE_KINDS,
  STATUS_CLASSES,
  type FlowControl,
  type MisfirePolicy,
  type RetryRule,
  type StatusCodeRule,
} from './delivery-options.js';
export {
  DEFAULT_MISFIRE_GRACE_MS,
  MAX_MISFIRE_REPLAYS,
  admitOccurrence,
  dueRunAt,
  nextRunAfter,
  resumedRunAt,
  type MisfireSettings,
  type OccurrenceAdmission,
} from './misfire.js';
export {
  FAILURE_KINDS,
  isRetried,
  matchesStatusRules,
  notRetriedError,
  outcomeRulesProblem,
  type FailureKind,
  type OutcomeRulesProblem,
} from './outcome-rules.js';
export {
  TEMPLATE_PLACEHOLDERS,
  bodyTemplateProblem,
  fillBodyTemplate,
  fillTextTemplate,
  fillUrlTemplate,
  templateProblem,
  templateText,
  urlTemplateProblem,
  type TemplatePlaceholder,
  type TemplateText,
  type TemplateValues,
} from './task-template.js';
export {
  MAX_LIMIT_WAIT_MS,
  attemptLimits,
  limitWaitMs,
  rateWindow,
  type AttemptLimit,
  type LimitRefusal,
  type RateWindow,
} from './flow-limits.js';
