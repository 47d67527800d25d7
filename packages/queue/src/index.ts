export {
  DELIVERY_WINDOW_MS,
  JOBS,
  NOTIFICATIONS_QUEUE,
  TASKS_QUEUE,
  deliveryRetryDelayMs,
  parseNotificationJob,
  type NotificationJob,
  parseTaskAttemptJob,
  taskAttemptJobData,
  taskAttemptJobId,
  type JobName,
  type JobPayload,
  type TaskAttemptJob,
} from './jobs.js';
export {
  assertRedisReachable,
  createRedisConnection,
  evictionPolicyWarning,
  RedisUnavailableError,
  redisAnswers,
  waitForRedisReady,
  withRedis,
  type Redis,
} from './redis-connection.js';
export { isConnectionError } from './connection-errors.js';
export { type TaskQueue, type TasksQueue } from './task-queue.js';
export { type LeaderLock } from './leader-lock.js';
export { type RateLimitCounter } from './rate-limit-counter.js';
export { migrateQueueSchema, queueSchemaName } from './postgres-queue-schema.js';
export { assertQueueReachable, createQueueBackend } from './create-queue-backend.js';
export { createRedisTaskQueue } from './redis-queue-backend.js';
export { type QueueBackend, type QueueBackendName, type QueueBackendOptions, type TasksWorker } from './queue-backend.js';
export { type NotificationQueue, type NotificationsQueue } from './notification-queue.js';
export {
  createPostgresAttemptSlots,
  createRedisAttemptSlots,
  type AttemptSlots,
  type SlotRelease,
  type SlotRequest,
} from './attempt-slots.js';
