import { randomUUID } from 'node:crypto';
import { createQueueBackend, taskAttemptJobId, withRedis, type QueueBackend, type TaskAttemptJob, type TasksWorker } from '@punctual/queue';
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

  it('calls a lone delayed job within a few milliseconds of its time, not on the next hz tick', async () => {
    await startWorker();
    const late: number[] = [];
    for (let sample = 0; sample < 12; sample += 1) {
      // A random lead, so the due times fall at every phase of Redis's 100 ms tick.
      const due = { job: attempt(), at: Date.now() + 80 + Math.random() * 120 };
      await backend.tasks.enqueueAttempt(due.job, new Date(due.at));
      late.push(...(await lateness([due])));
    }
    late.sort((a, b) => a - b);
    // Room for a loaded machine: two samples of twelve may be slow. Without the wake-up half of them are over 50 ms.
    expect(late[6]).toBeLessThan(25);
    expect(late[9]).toBeLessThan(50);
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
    expect(late[4]).toBeLessThan(25);
    expect(late[6]).toBeLessThan(50);
  });

  it('keeps the next job on time when the earliest one is withdrawn or rescheduled later', async () => {
    await startWorker();
    const late: number[] = [];
    const neverCalled: string[] = [];
    for (let sample = 0; sample < 6; sample += 1) {
      const [withdrawn, moved, kept] = [attempt(), attempt(), attempt()];
      const at = Date.now() + 120 + Math.random() * 100;
      await backend.tasks.enqueueAttempts([
        { job: withdrawn, runAt: new Date(at - 60) },
        { job: moved, runAt: new Date(at - 30) },
        { job: kept, runAt: new Date(at) },
      ]);
      // Rescheduling makes a new version (a new job id) and withdraws the old one.
      const later = { ...moved, version: 2 };
      await backend.tasks.enqueueAttempt(later, new Date(at + 40));
      await backend.tasks.discardAttempts([withdrawn, moved]);
      late.push(
        ...(await lateness([
          { job: kept, at },
          { job: later, at: at + 40 },
        ])),
      );
      neverCalled.push(taskAttemptJobId(withdrawn), taskAttemptJobId(moved));
    }
    await sleep(100);
    late.sort((a, b) => a - b);
    for (const id of neverCalled) expect(calls.has(id)).toBe(false);
    expect(late[6]).toBeLessThan(25);
    expect(late[9]).toBeLessThan(50);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
