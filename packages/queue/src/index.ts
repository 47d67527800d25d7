export { JOBS, TASKS_QUEUE, parseTaskAttemptJob, taskAttemptJobId, type JobName, type JobPayload, type TaskAttemptJob } from './jobs.js';
export { assertRedisReachable, createRedisConnection, RedisUnavailableError } from './redis-connection.js';
export { createTaskQueue, type TaskQueue } from './task-queue.js';
