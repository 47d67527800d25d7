export { JOBS, TASKS_QUEUE, parseTaskAttemptJob, taskAttemptJobId, type JobName, type JobPayload, type TaskAttemptJob } from './jobs.js';
export { assertRedisReachable, createRedisConnection, RedisUnavailableError, type Redis } from './redis-connection.js';
export { createTaskQueue, type TaskQueue } from './task-queue.js';
