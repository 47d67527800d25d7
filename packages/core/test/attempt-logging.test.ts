import { createTask, runAttempt } from '@punctual/core';
import { startTargetServer, useFixture, useTaskEnvironment } from '@punctual/testing';
import { describe, expect, it } from 'vitest';
import { useAttemptContext } from './attempt-context.js';

const t = useTaskEnvironment({ email: 'attempt-logs@example.com', allowPrivateTargets: true });
const attempts = useAttemptContext(t);
const target = useFixture(startTargetServer, (server) => server.close());

describe("runAttempt's log lines", () => {
  it('carry taskId, runId, attempt and workerId: the next attempt that cannot be queued (the queue is closed)', async () => {
    const task = await createTask(t.tasks, t.actor, { name: 'logs', url: `${target().url}/status/500`, maxRetries: 1 });
    const row = await t.env.db.selectFrom('tasks').selectAll().where('id', '=', task.id).executeTakeFirstOrThrow();
    // The attempt's queue is closed already, so queueing its retry fails (and is logged, not thrown).
    const deadBackend = await t.env.createQueueBackend();
    await deadBackend.close();
    const deadQueue = deadBackend.tasks;
    const warnings: Array<{ details: Record<string, unknown>; message: string }> = [];
    try {
      const summary = await runAttempt(
        {
          ...attempts,
          queue: deadQueue,
          logger: { warn: (details, message) => warnings.push({ details: details as Record<string, unknown>, message }) },
        },
        { taskId: task.id, runId: row.run_id, version: row.version },
      );
      expect(summary).toMatchObject({ kind: 'attempted', outcome: 'failed', status: 'retrying' });
    } finally {
      await deadQueue.close().catch(() => {});
    }

    expect(warnings).toEqual([
      {
        message: 'could not enqueue attempts; they stay scheduled in Postgres',
        details: expect.objectContaining({
          taskId: task.id,
          runId: row.run_id,
          attempt: 1,
          workerId: attempts.workerId,
          err: expect.any(Error),
        }),
      },
    ]);
  });
});
