export { JOBS, TASKS_QUEUE, parseTaskAttemptJob, taskAttemptJobId, type JobName, type JobPayload, type TaskAttemptJob } from './jobs.js';
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
export { createTaskQueue, type TaskQueue } from './task-queue.js';
export { createLeaderLock, type LeaderLock } from './leader-lock.js';
