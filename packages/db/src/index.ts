export {
  deleteApiKey,
  findApiKeyCredential,
  insertApiKey,
  listApiKeys,
  touchApiKey,
  type ApiKeyCredential,
  type ApiKeyListing,
} from './api-keys.js';
export {
  claimAttempt,
  claimAttempts,
  findLostAttempts,
  finishAttempt,
  finishChangedAttempt,
  recordAttempts,
  type AttemptClaim,
  type AttemptFinish,
  type AttemptRecord,
  type ClaimedAttempt,
  type ClaimedAttemptToSend,
  type SealedSigningSecrets,
  type LostAttempt,
  type TaskAfterAttempt,
  type TaskStateAfterAttempt,
} from './attempts.js';
export { peekAttempts, skipMissedOccurrences, type AttemptToAdmit } from './attempt-admission.js';
export { createAttemptWriter, type AttemptWriter, type AttemptWriterOptions } from './attempt-writer.js';
export { createGroupCommit, type GroupCommitOptions } from './group-commit.js';
export {
  assertPostgresReachable,
  createDatabase,
  executePrepared,
  preparedStatement,
  type PreparedStatement,
  isDatabaseUnavailable,
  pingDatabase,
  postgresAnswers,
  PostgresUnavailableError,
  queryOnce,
  type DatabaseOptions,
} from './connection.js';
export {
  countFailedPage,
  redriveFailedPage,
  type FailedTaskCount,
  type FailedTaskCursor,
  type FailedTaskFilter,
  type FailedTaskPage,
  type FailedTaskPageRequest,
  type RedrivenTask,
} from './failed-task-redrive.js';
export { migrateToLatest } from './migrate.js';
export { listTaskNotifications, type ListedNotification, type TaskNotificationListQuery } from './notifications.js';
export { claimIdempotencyKey, findIdempotencyKey, purgeExpiredIdempotencyKeys, type IdempotencyKeyClaim } from './idempotency-keys.js';
export { migrations } from './migrations/index.js';
export type * from './schema.js';
export {
  claimNotification,
  deleteNotificationsCreatedBefore,
  finishNotification,
  insertNotifications,
  listPendingNotifications,
  pendingNotificationIds,
  type ClaimedNotification,
  type NewNotification,
} from './notification-deliveries.js';
export { NOTIFICATION_CHANNELS, NOTIFICATION_STATUSES } from './schema.js';
export { withScope, type DbExecutor, type Scope } from './scope.js';
export {
  keyIdOf,
  needsResealing,
  openSecret,
  sealSecret,
  SealedSecretError,
  type SealedSecretProblem,
  type SecretBinding,
  type SecretKeys,
  type SecretPurpose,
} from './secret-box.js';
export { findSealedSecrets, replaceSealedSecret, type SealedSecretColumn, type SealedSecretRow } from './sealed-secrets.js';
export { findSigningSecret, insertSigningSecret, PREVIOUS_SIGNING_SECRET_TTL_MS, rotateSigningSecretRow } from './signing-secrets.js';
export {
  attemptTimelineQuery,
  readAttemptTimeline,
  readStats,
  type AttemptCounts,
  type StatsCounts,
  type StatsQuery,
  type TimelineBucket,
  type TimelineQuery,
} from './stats.js';
export { applyTaskAction, type ActedTask, type TaskActionName, type TaskActionRefusal, type TaskActionResult } from './task-actions.js';
export { countLiveTasks, findFinishedTasks, lockTaskQuotaBound, setTaskQuotaBound } from './task-quota.js';
export { insertTasksWithinQuota, type BatchedTaskRow } from './task-batch-insert.js';
export { deleteLogsStartedBefore, listTaskLogs, type TaskLogListQuery } from './task-logs.js';
export {
  findTask,
  findTaskForUpdate,
  findTaskPrepared,
  insertTask,
  listScheduledTasks,
  listTasks,
  updateTaskRow,
  type ScheduleCursor,
  type ScheduledTask,
  type TaskListQuery,
  type TaskSort,
} from './tasks.js';
export {
  countOtherActiveAdmins,
  deleteUserWithTasks,
  findUsersAccess,
  findUserByEmail,
  findUserById,
  insertUser,
  listUsers,
  setPasswordHash,
  updateUserAccess,
  upsertAdmin,
  withUserChangesLock,
  type UserAccess,
  type UserListQuery,
  type UserRole,
} from './users.js';
export type { Kysely, Transaction } from 'kysely';
