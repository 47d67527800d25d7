import { createPostgresQueueBackend } from './postgres-queue-backend.js';
import type { QueueBackend, QueueBackendOptions } from './queue-backend.js';
import { assertRedisReachable } from './redis-connection.js';
import { createRedisQueueBackend } from './redis-queue-backend.js';

/** The queue backend the configuration names; the Postgres one runs BullMQ's migrations first. */
export async function createQueueBackend(options: QueueBackendOptions): Promise<QueueBackend> {
  if (options.backend === 'postgres') return createPostgresQueueBackend(options);
  return createRedisQueueBackend({ ...options, blocking: options.blocking ?? false });
}

/** At start: the queue's store answers (Redis PING; the Postgres backend's store is Postgres, checked already). */
export async function assertQueueReachable(options: Pick<QueueBackendOptions, 'backend' | 'redisUrl'>): Promise<void> {
  if (options.backend === 'redis') await assertRedisReachable(options.redisUrl);
}
