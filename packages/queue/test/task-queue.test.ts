import { randomUUID } from 'node:crypto';
import { createRedisConnection, createTaskQueue, parseTaskAttemptJob, type TaskQueue } from '@punctual/queue';
import { createTestEnvironment, type TestEnvironment } from '@punctual/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let env: TestEnvironment;
let connection: Redis;
let tasks: TaskQueue;
beforeAll(async () => {
  env = await createTestEnvironment();
  connection = createRedisConnection(env.redisUrl);
  tasks = createTaskQueue({ connection, prefix: env.queuePrefix });
});
afterAll(async () => {
  await tasks.close();
  connection.disconnect();
  await env.cleanup();
});

describe('task queue', () => {
  it('enqueues a scheduled attempt once, however often it is added', async () => {
    const job = { taskId: randomUUID(), runId: randomUUID(), version: 1 };
    const runAt = new Date(Date.now() + 60_000);
    await Promise.all([tasks.enqueueAttempt(job, runAt), tasks.enqueueAttempt(job, runAt), tasks.enqueueAttempt(job, runAt)]);
    const delayed = await tasks.queue.getDelayed();
    expect(delayed.filter((j) => j.data.taskId === job.taskId)).toHaveLength(1);
    expect(delayed[0]?.data).toEqual(job);
    expect(delayed[0]!.delay).toBeGreaterThan(55_000);
  });

  it('gives a new version its own job', async () => {
    const taskId = randomUUID();
    await tasks.enqueueAttempt({ taskId, runId: randomUUID(), version: 1 }, null);
    await tasks.enqueueAttempt({ taskId, runId: randomUUID(), version: 2 }, null);
    const waiting = await tasks.queue.getWaiting();
    expect(
      waiting
        .filter((j) => j.data.taskId === taskId)
        .map((j) => j.id)
        .sort(),
    ).toEqual([`${taskId}.1`, `${taskId}.2`]);
  });

  it('puts only ids in Redis', async () => {
    const job = { taskId: randomUUID(), runId: randomUUID(), version: 3 };
    await tasks.enqueueAttempt(job, null);
    const stored = await tasks.queue.getJob(`${job.taskId}.3`);
    expect(Object.keys(stored!.data).sort()).toEqual(['runId', 'taskId', 'version']);
  });
});

describe('parseTaskAttemptJob', () => {
  it.each([
    [{ taskId: randomUUID(), runId: randomUUID(), version: 1 }, true],
    [{ taskId: 'nope', runId: randomUUID(), version: 1 }, false],
    [{ taskId: randomUUID(), runId: randomUUID(), version: 0 }, false],
    [{ taskId: randomUUID(), runId: randomUUID(), version: 1, url: 'http://x' }, false],
    [null, false],
  ])('accepts only well-formed attempt payloads (%o → %s)', (data, valid) => {
    expect(parseTaskAttemptJob(data) !== null).toBe(valid);
  });
});
