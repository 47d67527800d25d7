import type { QueueBackendName } from '@punctual/config';
import type { IQueueBackend, JobProgress, Processor, Telemetry, Worker } from 'bullmq';
import type { AttemptSlots } from './attempt-slots.js';
import type { LeaderLock } from './leader-lock.js';
import type { NotificationQueue } from './notification-queue.js';
import type { RateLimitCounter } from './rate-limit-counter.js';
import type { TaskQueue } from './task-queue.js';

export type { QueueBackendName };

/** A BullMQ worker on the `tasks` queue, on either backend. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- BullMQ's own defaults for data and result types.
export type TasksWorker = Worker<any, any, string, IQueueBackend, JobProgress, any>;

/**
 * Everything Punctual keeps in the queue's store, behind one face with an implementation per backend (QUEUE_BACKEND):
 * BullMQ on Redis, or BullMQ's PostgreSQL backend. Callers never ask which one they have.
 */
export interface QueueBackend {
  readonly name: QueueBackendName;
  /** Enqueue, withdraw and the reconciler's missing-job check; `tasks.queue` is the BullMQ queue itself. */
  readonly tasks: TaskQueue;
  /** Outcome deliveries: enqueue, and the reconciler's missing-job check. */
  readonly notifications: NotificationQueue;
  /** The API's rate-limit counters, shared by every replica. */
  readonly rateLimits: RateLimitCounter;
  /** The workers' attempt slots (USER_CONCURRENCY, flowControl), shared by the fleet. */
  readonly attemptSlots: AttemptSlots;
  /**
   * A BullMQ worker on the `tasks` queue, with connections of its own. Close it before the backend. It takes jobs at
   * once unless `autorun` is false (then `worker.run()` starts it). Its 'ready' event fires again each time its
   * connection comes back after an outage.
   */
  createWorker(processor: Processor, options: { concurrency: number; autorun?: boolean }): TasksWorker;
  /**
   * A BullMQ worker on the `notifications` queue, with connections of its own and the delivery retry delays
   * (deliveryRetryDelayMs). Close it before the backend.
   */
  createNotificationWorker(processor: Processor, options: { concurrency: number; autorun?: boolean }): TasksWorker;
  /** A lock one process at a time holds, named within this deployment's prefix (`maintenance`). */
  createLeaderLock(name: string, options: { ttlMs: number }): LeaderLock;
  /** One round trip to the queue's store; rejects when it does not answer (callers bound it with a deadline). */
  ping(): Promise<unknown>;
  /** Resolves true once every connection made so far is ready, false after `timeoutMs` without it. */
  waitUntilReady(timeoutMs: number): Promise<boolean>;
  /** Settings of the store an operator should fix (a Redis that may evict jobs). */
  warnings(): Promise<string[]>;
  /** Closes the queue and every connection made here (workers are closed by their owners first). */
  close(): Promise<void>;
}

export interface QueueBackendOptions {
  backend: QueueBackendName;
  /** Used by the Redis backend only: with postgres nothing connects to Redis. */
  redisUrl: string;
  /** The Postgres backend's database (the one Punctual's tables are in). */
  databaseUrl: string;
  /** QUEUE_PREFIX: Redis key prefix, or the Postgres schema `bullmq_<prefix>`. */
  prefix: string;
  /** Workers' connections retry forever and queue commands while Redis is away; the API's fail fast instead. */
  blocking?: boolean;
  /** When tracing is on: each enqueue is a producer span, its context kept in the job's options. */
  telemetry?: Telemetry | undefined;
}
