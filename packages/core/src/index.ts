export { checkAccess, requireAdmin, type ApiKeyScope, type CredentialKind, type RequestActor, type RouteAccess } from './access.js';
export {
  authenticateUser,
  bootstrapAdmin,
  changePassword,
  getUser,
  registerUser,
  sessionActor,
  type Credentials,
  type Session,
  type SessionClaims,
} from './accounts.js';
export { API_KEY_LIMIT, apiKeyActor, createApiKey, deleteApiKey, isApiKey, listApiKeys, type NewApiKey } from './api-keys.js';
export {
  applyRetention,
  recoverLostAttempts,
  repairQueue,
  WORKER_LOST,
  type QueueRepairOptions,
  type ReconcilerContext,
} from './reconciler.js';
export {
  attemptTiming,
  runAttempt,
  stateAfterAttempt,
  type AttemptContext,
  type AttemptSummary,
  type AttemptTiming,
} from './attempt-runner.js';
export type { AttemptMetrics } from './attempt-metrics.js';
export {
  checkDependency,
  healthReport,
  queueChecks,
  type DependencyCheck,
  type DependencyChecks,
  type HealthReport,
  type QueueCheck,
} from './dependency-check.js';
export * from './errors.js';
export { IDEMPOTENCY_KEY_TTL_MS, createTaskIdempotently, type TaskCreation } from './idempotent-create.js';
export { createLogger, REDACTED_LOG_PATHS, type LoggerOptions } from './logger.js';
export { createPasswordAuthenticator, type PasswordAuthenticator } from './password-authenticator.js';
export { hashPassword, needsRehash, verifyPassword } from './passwords.js';
export {
  createSigningSecret,
  ensureSigningSecret,
  getSigningSecret,
  newSigningSecret,
  openSigningSecret,
  rotateSigningSecret,
  type SigningSecretContext,
} from './signing-secrets.js';
export { resealSecrets, type ResealCounts, type ResealOptions } from './secret-rotation.js';
export {
  getAttemptTimeline,
  getStats,
  type AttemptCountsView,
  type StatsRequest,
  type StatsView,
  type TimelineRequest,
  type TimelineView,
} from './stats.js';
export { actOnTask, actOnTasks, type BulkActionResult } from './task-actions.js';
export { scopeOf, type Actor, type Logger, type TaskContext, type TaskLimits } from './task-context.js';
export { GroupCommit } from './group-commit.js';
export { openTaskSecrets, originOf, secretKeysOf } from './task-secrets.js';
export {
  REDACTED,
  checkTargetUrl,
  isSensitiveHeader,
  splitHeaders,
  type CreateTaskInput,
  type NotifyInput,
  type TargetPolicy,
  type TaskDefaults,
  type UpdateTaskInput,
} from './task-input.js';
export {
  createTask,
  deleteTask,
  getTask,
  getTaskStatus,
  listLogs,
  listTaskLogsOf,
  listTaskNotificationsOf,
  listTasks,
  previewTaskRuns,
  updateTask,
  type TaskListRequest,
  type TaskLogListRequest,
  type TaskNotificationListRequest,
} from './tasks.js';
export { DEFAULT_PREVIEW_COUNT, DEFAULT_TIMEZONE, previewCron, type SchedulePreviewRequest } from './task-schedule.js';
export { checkCallbacks, checkFailureStreak, checkNotifyEmail } from './task-deliveries.js';
export { MAX_REDRIVE_TASKS, REDRIVE_PAGE_SIZE, retryFailedTasks, type RetryFailedRequest, type RetryFailedResult } from './task-redrive.js';
export { deleteUser, listUsers, updateUser, type UserChange, type UserListRequest } from './users.js';
export * from './views.js';
export { isStartupProblem, readStartupConfig } from './startup.js';
export {
  CALLBACK_TIMEOUT_MS,
  DeliveryRetryError,
  deliverNotification,
  enqueueDeliveries,
  repairDeliveries,
  type DeliveryContext,
  type DeliveryJob,
  type DeliveryOutcome,
  type EmailSender,
} from './notification-delivery.js';
export { NO_SMTP_ERROR, outcomeNotifications, type NotificationSettings } from './outcome-notifications.js';
