import type { AttemptContext } from '@punctual/core';
import { createExecutor } from '@punctual/executor';
import type { TaskEnvironment } from '@punctual/testing';
import { afterAll, beforeAll } from 'vitest';

/**
 * The worker's side of `t`: an AttemptContext over its database, queue and secrets key, with an executor allowed to
 * call loopback (the target servers listen on 127.0.0.1). The object is filled in place by a `beforeAll` registered
 * after `t`'s, and its executor closed after the file's tests.
 */
export function useAttemptContext(t: TaskEnvironment): AttemptContext {
  const attempts = {} as AttemptContext;
  beforeAll(() => {
    Object.assign(attempts, {
      db: t.env.db,
      queue: t.queue,
      executor: createExecutor({ responseBodyLimitBytes: 1024, userAgent: 'punctual/test', allowPrivateTargets: true }),
      secretsKey: t.tasks.secretsKey,
      workerId: 'test-worker:1',
      leaseMarginMs: 30_000,
      logger: { warn: () => {} },
      notifications: { emailEnabled: false, queue: t.backend.notifications },
      limits: { slots: t.backend.attemptSlots, userConcurrency: 25 },
    } satisfies AttemptContext);
  });
  afterAll(async () => {
    await attempts.executor?.close();
  });
  return attempts;
}

/** The task's row as it is now. */
export async function taskRowOf(t: TaskEnvironment, id: string) {
  return t.env.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** The task's attempts, in order. */
export async function logsOfTask(t: TaskEnvironment, id: string) {
  return t.env.db.selectFrom('task_logs').selectAll().where('task_id', '=', id).orderBy('attempt').execute();
}
