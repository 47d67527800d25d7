import { Queue, Worker, type Telemetry } from 'bullmq';
import { NOTIFICATIONS_QUEUE, NOTIFICATIONS_RETENTION, NOTIFICATIONS_WORKER_SETTINGS, TASKS_QUEUE, TASKS_RETENTION } from './jobs.js';
import { createRedisAttemptSlots, type AttemptSlots } from './attempt-slots.js';
import { createNotificationQueue } from './notification-queue.js';
import { createRedisLeaderLock } from './leader-lock.js';
import type { QueueBackend } from './queue-backend.js';
import { createRedisRateLimitCounter, type RateLimitCounter } from './rate-limit-counter.js';
import { createRedisConnection, evictionPolicyWarning, waitForRedisReady, type Redis } from './redis-connection.js';
import { createTaskQueue, type JobStates, type TaskQueue } from './task-queue.js';
import { wakeOnBlockTimeout } from './worker-wake-up.js';

/** How long a rate-limit count may take before the request is served uncounted: a slow Redis must not hold requests up. */
const RATE_LIMIT_COMMAND_TIMEOUT_MS = 1_000;
/** How long closing waits for the queue before the connections are cut: the worker's shutdown is bounded by it. */
const CLOSE_WAIT_MS = 3_000;
/**
 * The worker process's queue connection gives up on a command after this long. While Redis is away its commands are
 * still queued and sent when it returns (job ids are idempotent), but the caller stops waiting: an attempt that
 * enqueues its retry or next run then leaves it scheduled in Postgres, and the reconciler enqueues it. This applies
 * during normal running too, not only at shutdown (a Redis slower than this is treated as away).
 */
const QUEUE_COMMAND_TIMEOUT_MS = 5_000;

/**
 * BullMQ on Redis (REDIS_URL), keys under `<prefix>:`. One connection for the queue (enqueue, the missing-job check,
 * the lock, health), one per worker, and one with a short command timeout for the rate limits (the API's).
 */
export function createRedisQueueBackend(options: {
  redisUrl: string;
  prefix: string;
  blocking: boolean;
  telemetry?: Telemetry | undefined;
}): QueueBackend {
  const { redisUrl, prefix, blocking } = options;
  const connection = createRedisConnection(redisUrl, blocking ? { blocking, commandTimeout: QUEUE_COMMAND_TIMEOUT_MS } : { blocking });
  const connections: Redis[] = [connection];
  const tasks = createRedisTaskQueue({ connection, prefix, telemetry: options.telemetry });
  const notificationsQueue = new Queue(NOTIFICATIONS_QUEUE, { connection, prefix });
  const notifications = createNotificationQueue(notificationsQueue, redisJobStates(connection, notificationsQueue));
  let rateLimits: RateLimitCounter | undefined;
  const makeRateLimits = (): RateLimitCounter => {
    const rateLimitConnection = createRedisConnection(redisUrl, { commandTimeout: RATE_LIMIT_COMMAND_TIMEOUT_MS });
    connections.push(rateLimitConnection);
    return createRedisRateLimitCounter(rateLimitConnection, prefix);
  };
  // The API's (fail-fast) backend counts requests from the start, so its connection is made now and waited for.
  if (!blocking) rateLimits = makeRateLimits();
  let attemptSlots: AttemptSlots | undefined;

  return {
    name: 'redis',
    tasks,
    notifications,
    get rateLimits() {
      rateLimits ??= makeRateLimits();
      return rateLimits;
    },
    get attemptSlots() {
      // On the queue's connection: its command timeout bounds a slot request as it bounds an enqueue.
      attemptSlots ??= createRedisAttemptSlots(connection, prefix);
      return attemptSlots;
    },
    createWorker(processor, { concurrency, autorun = true }) {
      // No command timeout here: BullMQ's blocking connection is a copy of this one, and its waits are long.
      const workerConnection = createRedisConnection(redisUrl, { blocking: true });
      connections.push(workerConnection);
      const worker = new Worker(TASKS_QUEUE, processor, {
        ...TASKS_RETENTION,
        connection: workerConnection,
        prefix,
        concurrency,
        autorun,
      });
      // A delayed job is called when due, not on Redis's next `hz` tick.
      wakeOnBlockTimeout(worker, workerConnection);
      // BullMQ says 'ready' once; the worker's owner also hears when Redis answers again after an outage.
      let connectedBefore = false;
      workerConnection.on('ready', () => {
        if (connectedBefore) worker.emit('ready');
        connectedBefore = true;
      });
      return worker;
    },
    createNotificationWorker(processor, { concurrency, autorun = true }) {
      const workerConnection = createRedisConnection(redisUrl, { blocking: true });
      connections.push(workerConnection);
      const worker = new Worker(NOTIFICATIONS_QUEUE, processor, {
        ...NOTIFICATIONS_RETENTION,
        settings: NOTIFICATIONS_WORKER_SETTINGS,
        connection: workerConnection,
        prefix,
        concurrency,
        autorun,
      });
      wakeOnBlockTimeout(worker, workerConnection);
      return worker;
    },
    createLeaderLock(name, { ttlMs }) {
      return createRedisLeaderLock(connection, { key: `${prefix}:${name}:lock`, ttlMs });
    },
    ping: () => connection.ping(),
    async waitUntilReady(timeoutMs) {
      const ready = await Promise.all(connections.map((client) => waitForRedisReady(client, timeoutMs)));
      return !ready.includes(false);
    },
    async warnings() {
      const eviction = await evictionPolicyWarning(connection);
      return eviction ? [eviction] : [];
    },
    async close() {
      // A Redis that never answers must not hold the close up: the connections are cut after a bound either way.
      let timer: NodeJS.Timeout | undefined;
      const closing = Promise.all([tasks.close(), notifications.close()]).catch(() => {});
      await Promise.race([closing, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
      clearTimeout(timer);
      for (const client of connections) client.disconnect();
    },
  };
}

/** The task queue on a Redis connection of the caller's (the backend's own, or a benchmark's). */
export function createRedisTaskQueue(options: { connection: Redis; prefix: string; telemetry?: Telemetry | undefined }): TaskQueue {
  const queue = new Queue(TASKS_QUEUE, { connection: options.connection, prefix: options.prefix, telemetry: options.telemetry });
  return createTaskQueue(queue, redisJobStates(options.connection, queue));
}

/**
 * A job's hash exists from add until removal; `finishedOn` is set once it completed or failed for good. Read in one
 * script for the whole batch, so Redis answers with one small array: a pipeline of one HMGET per job cost the
 * reconciler more client CPU (building and parsing a thousand commands) than Redis spent answering them.
 */
const JOB_STATES = `
local states = {}
for i, key in ipairs(KEYS) do
  local fields = redis.call('HMGET', key, 'timestamp', 'finishedOn')
  if not fields[1] then states[i] = 0 elseif not fields[2] then states[i] = 1 else states[i] = 2 end
end
return states`;
const STATE_NAMES = [undefined, 'live', 'finished'] as const;

function redisJobStates(connection: Redis, queue: Queue): JobStates {
  return async (jobIds) => {
    const codes = (await connection.eval(JOB_STATES, jobIds.length, ...jobIds.map((id) => queue.toKey(id)))) as number[];
    const states = new Map<string, 'live' | 'finished'>();
    jobIds.forEach((id, index) => {
      const state = STATE_NAMES[codes[index] ?? 0];
      if (state) states.set(id, state);
    });
    return states;
  };
}
