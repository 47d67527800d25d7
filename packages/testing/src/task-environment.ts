import { randomBytes } from 'node:crypto';
import { insertUser, type Database } from '@punctual/db';
import type { Updateable } from 'kysely';
import type { QueueBackend, QueueBackendName, TaskQueue } from '@punctual/queue';
import { afterAll, beforeAll } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from './test-environment.js';

export interface TaskEnvironmentOptions {
  /** The email of the user the tests act as (`actor`). */
  email: string;
  /** Whether the task context lets tasks call loopback and private addresses (a target server on 127.0.0.1). */
  allowPrivateTargets?: boolean;
  /** The default retries of a task (2 unless given). */
  maxRetries?: number;
  /** Seals secrets at rest (a random key unless given). */
  secretsKey?: Buffer;
  /** Makes the queue's connections blocking ones, as a worker's are. */
  blocking?: boolean;
  /** The queue backend (QUEUE_BACKEND of the test run unless given). */
  queueBackend?: QueueBackendName;
  /** Domains notify.email may name besides the actor's own address (example.com, the test accounts' domain, unless given). */
  allowedEmailDomains?: string[];
}

/** What `useTaskEnvironment` fills in before the file's tests (and its own `beforeAll` hooks, which run after) start. */
export interface TaskEnvironment {
  env: TestEnvironment;
  /** The queue backend over this environment; `queue` is its task queue. */
  backend: QueueBackend;
  queue: TaskQueue;
  actor: { userId: string; role: 'user' };
  /**
   * The fields of core's TaskContext, with small timeouts and no quota worth meeting. Written out here (structurally)
   * because @punctual/testing must not depend on @punctual/core.
   */
  tasks: {
    db: TestEnvironment['db'];
    queue: TaskQueue;
    secretsKey: Buffer;
    defaults: { timeoutMs: number; maxRetries: number; retryDelayMs: number; retryMaxDelayMs: number };
    limits: { maxTasksPerUser: number; minCronIntervalSeconds: number };
    allowPrivateTargets: boolean;
    allowedEmailDomains: string[];
    logger: { warn: () => void };
  };
  /** Sets columns of a task's row directly, as the worker or time would have left it. */
  updateTask(id: string, values: Updateable<Database['tasks']>): Promise<void>;
}

/**
 * The preamble of a test of core's task operations or the worker: registers the `beforeAll` that creates this file's
 * environment, a queue on its prefix, the acting user and a task context, and the `afterAll` that closes them.
 */
export function useTaskEnvironment(options: TaskEnvironmentOptions): TaskEnvironment {
  const fixture = {
    async updateTask(id, values) {
      await fixture.env.db.updateTable('tasks').set(values).where('id', '=', id).execute();
    },
  } as TaskEnvironment;
  beforeAll(async () => {
    fixture.env = await createTestEnvironment(options.queueBackend ? { queueBackend: options.queueBackend } : {});
    fixture.backend = await fixture.env.createQueueBackend({ blocking: options.blocking ?? false });
    fixture.queue = fixture.backend.tasks;
    const user = await insertUser(fixture.env.db, { email: options.email, passwordHash: 'x' });
    fixture.actor = { userId: user!.id, role: 'user' };
    fixture.tasks = {
      db: fixture.env.db,
      queue: fixture.queue,
      secretsKey: options.secretsKey ?? randomBytes(32),
      defaults: { timeoutMs: 2_000, maxRetries: options.maxRetries ?? 2, retryDelayMs: 1_000, retryMaxDelayMs: 60_000 },
      limits: { maxTasksPerUser: 100_000, minCronIntervalSeconds: 1 },
      allowPrivateTargets: options.allowPrivateTargets ?? false,
      allowedEmailDomains: options.allowedEmailDomains ?? ['example.com'],
      logger: { warn: () => {} },
    };
  });
  afterAll(async () => {
    await fixture.backend?.close();
    await fixture.env?.cleanup();
  });
  return fixture;
}
