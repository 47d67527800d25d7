export { JOBS, TASKS_QUEUE, parseTaskAttemptJob, taskAttemptJobId, type JobName, type JobPayload, type TaskAttemptJob } from './jobs.js';
export {
  assertRedisReachable,
  createRedisConnection,
  evictionPolicyWarning,
  RedisUnavailableError,
  waitForRedisReady,
  type Redis,
} from './redis-connection.js';
export { createTaskQueue, type TaskQueue } from './task-queue.js';
export { createLeaderLock, type LeaderLock } from './leader-lock.js';
