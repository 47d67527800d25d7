import { randomUUID } from 'node:crypto';
import {
  createQueueBackend,
  createRedisConnection,
  createRedisTaskQueue,
  TASKS_QUEUE,
  taskAttemptJobId,
  withRedis,
  type QueueBackend,
  type TaskAttemptJob,
  type TasksWorker,
} from '@punctual/queue';
import { Worker } from 'bullmq';
import { startRedisServer, type RedisServer } from '@punctual/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// Redis checks a blocked client's timeout only on its `hz` tick (10 per second by default), so without the worker's
// own wake-up timer a lone delayed job is called 0–100 ms late (~50 ms at the median). The server here is a private one
// with Redis's defaults: the operator's `hz` is never ours to change.
describe('the Redis worker wake-up on Redis with its default hz', () => {
  let redis: RedisServer;
  let backend: QueueBackend;
  const workers: TasksWorker[] = [];
  const calls = new Map<string, number[]>();

  beforeAll(async () => {
    redis = await startRedisServer();
    backend = await createQueueBackend({
      backend: 'redis',
      redisUrl: redis.url,
      databaseUrl: '',
      prefix: `wake-${randomUUID()}`,
      blocking: true,
    });
    await backend.waitUntilReady(10_000);
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.close()));
  });
  afterAll(async () => {
    await backend?.close();
    await redis?.stop();
  });

  const startWorker = async (): Promise<void> => {
    const worker = backend.createWorker(
      async (job) => {
        calls.set(job.id!, [...(calls.get(job.id!) ?? []), Date.now()]);
      },
      { concurrency: 5 },
    );
    workers.push(worker);
    await worker.waitUntilReady();
  };
  const attempt = (): TaskAttemptJob => ({ taskId: randomUUID(), runId: randomUUID(), version: 1 });
  /** How late each job was called (ms after its due time), once all of them have been called. */
  const lateness = async (due: { job: TaskAttemptJob; at: number }[]): Promise<number[]> => {
    const ids = due.map(({ job }) => taskAttemptJobId(job));
    const deadline = Date.now() + 10_000;
    while (ids.some((id) => !calls.has(id)) && Date.now() < deadline) await sleep(5);
    return due.map(({ job, at }) => calls.get(taskAttemptJobId(job))![0]! - at).sort((a, b) => a - b);
  };

  it('is a private server at the default hz 10', async () => {
    expect(await withRedis(redis.url, (client) => client.config('GET', 'hz'))).toEqual(['hz', '10']);
  });

  it('calls a lone delayed job within a few milliseconds of its time, where plain BullMQ waits for the hz tick', async () => {
    await startWorker();
    // The control: a plain BullMQ worker on a queue of its own on the same server, sampled in turn with ours, so a
    // loaded machine slows both alike.
    const connection = createRedisConnection(redis.url, { blocking: true });
    const prefix = `plain-${randomUUID()}`;
    const plainQueue = createRedisTaskQueue({ connection, prefix });
    const plainCalls = new Map<string, number>();
    const plain = new Worker(TASKS_QUEUE, async (job) => void plainCalls.set(job.id!, Date.now()), { connection, prefix, concurrency: 5 });
    await plain.waitUntilReady();
    const ours: number[] = [];
    const theirs: number[] = [];
    try {
      for (let sample = 0; sample < 16; sample += 1) {
        // A random lead, so the due times fall at every phase of Redis's 100 ms tick.
        const due = { job: attempt(), at: Date.now() + 80 + Math.random() * 120 };
        const control = { job: attempt(), at: due.at + 150 + Math.random() * 100 };
        await backend.tasks.enqueueAttempt(due.job, new Date(due.at));
        await plainQueue.enqueueAttempt(control.job, new Date(control.at));
        ours.push(...(await lateness([due])));
        const id = taskAttemptJobId(control.job);
        while (!plainCalls.has(id) && Date.now() < control.at + 5_000) await sleep(5);
        theirs.push(plainCalls.get(id)! - control.at);
      }
    } finally {
      await plain.close();
      await plainQueue.close();
      connection.disconnect();
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1]!;
    // Idle, ours is ~5 ms late at the median and theirs ~50 ms (anywhere within the 100 ms tick).
    expect(median(ours)).toBeLessThan(median(theirs) - 20);
    expect(median(ours)).toBeLessThan(50);
  });

  it('wakes one of several blocked workers for jobs added after they blocked, and each job is called once', async () => {
    await Promise.all([startWorker(), startWorker(), startWorker()]);
    await sleep(200);
    const base = Date.now() + 150;
    const due = Array.from({ length: 8 }, (_, index) => ({ job: attempt(), at: base + index * 37 }));
    await backend.tasks.enqueueAttempts(due.map(({ job, at }) => ({ job, runAt: new Date(at) })));
    const late = await lateness(due);
    await sleep(200);
    for (const { job } of due) expect(calls.get(taskAttemptJobId(job))).toHaveLength(1);
    // Called, not left to a worker's next long wait (drainDelay, 5 s): room here for a loaded machine.
    expect(late[late.length - 1]).toBeLessThan(1_000);
  });

  it('calls the next job when the earliest one is withdrawn or rescheduled later, and never the withdrawn ones', async () => {
    await startWorker();
    const late: number[] = [];
    const neverCalled: string[] = [];
    for (let sample = 0; sample < 6; sample += 1) {
      const [withdrawn, moved, kept] = [attempt(), attempt(), attempt()];
      const at = Date.now() + 500 + Math.random() * 100;
      await backend.tasks.enqueueAttempts([
        { job: withdrawn, runAt: new Date(at - 200) },
        { job: moved, runAt: new Date(at - 100) },
        { job: kept, runAt: new Date(at) },
      ]);
      // Rescheduling makes a new version (a new job id) and withdraws the old one.
      const later = { ...moved, version: 2 };
      await backend.tasks.enqueueAttempt(later, new Date(at + 40));
      await backend.tasks.discardAttempts([withdrawn, moved]);
      // On a machine so loaded that the withdrawal came after their time, they may have run: only count them if not.
      if (Date.now() < at - 200) neverCalled.push(taskAttemptJobId(withdrawn), taskAttemptJobId(moved));
      late.push(
        ...(await lateness([
          { job: kept, at },
          { job: later, at: at + 40 },
        ])),
      );
    }
    await sleep(100);
    for (const id of neverCalled) expect(calls.has(id)).toBe(false);
    expect(late[late.length - 1]).toBeLessThan(1_000);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
