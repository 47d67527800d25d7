import { randomUUID } from 'node:crypto';
import {
  deliveryRetryDelayMs,
  parseNotificationJob,
  parseTaskAttemptJob,
  queueSchemaName,
  type QueueBackend,
  type QueueBackendName,
} from '@punctual/queue';
import { createTestEnvironment, failJob, withPostgresClient, type TestEnvironment } from '@punctual/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The queue-backend contract: every case runs on both backends, BullMQ on Redis and BullMQ's PostgreSQL backend.
describe.each<QueueBackendName>(['redis', 'postgres'])('the %s queue backend', (backendName) => {
  let env: TestEnvironment;
  let backend: QueueBackend;
  beforeAll(async () => {
    env = await createTestEnvironment({ queueBackend: backendName });
    backend = await env.createQueueBackend();
    await backend.waitUntilReady(10_000);
  });
  afterAll(async () => {
    await backend?.close();
    await env?.cleanup();
  });
  const attempt = (version = 1) => ({ taskId: randomUUID(), runId: randomUUID(), version });

  describe('task queue', () => {
    it('enqueues a scheduled attempt once, however often it is added, as a delayed job with ids only', async () => {
      const job = attempt();
      const runAt = new Date(Date.now() + 60_000);
      const { tasks } = backend;
      await Promise.all([tasks.enqueueAttempt(job, runAt), tasks.enqueueAttempt(job, runAt), tasks.enqueueAttempts([{ job, runAt }])]);
      const delayed = (await tasks.queue.getDelayed()).filter((j) => (j.data as { taskId: string }).taskId === job.taskId);
      expect(delayed).toHaveLength(1);
      expect(delayed[0]!.id).toBe(`${job.taskId}.1`);
      // Ids only, and only those its claim needs: the task and the version (no run id).
      expect(delayed[0]!.data).toEqual({ taskId: job.taskId, version: job.version });
      expect(delayed[0]!.delay).toBeGreaterThan(55_000);
      expect(await tasks.queue.getJobState(`${job.taskId}.1`)).toBe('delayed');
    });

    it('gives a new version its own job, waiting at once when due', async () => {
      const first = attempt(1);
      await backend.tasks.enqueueAttempt(first, null);
      await backend.tasks.enqueueAttempt({ ...first, runId: randomUUID(), version: 2 }, new Date(Date.now() - 1_000));
      const waiting = await backend.tasks.queue.getWaiting();
      expect(
        waiting
          .filter((j) => (j.data as { taskId: string }).taskId === first.taskId)
          .map((j) => j.id)
          .sort(),
      ).toEqual([`${first.taskId}.1`, `${first.taskId}.2`]);
    });

    it('withdraws waiting and delayed attempts, and ignores ones that are not there', async () => {
      const [due, later, absent] = [attempt(), attempt(), attempt()];
      await backend.tasks.enqueueAttempts([
        { job: due, runAt: null },
        { job: later, runAt: new Date(Date.now() + 3_600_000) },
      ]);
      await backend.tasks.discardAttempts([due, later, absent]);
      for (const job of [due, later, absent]) expect(await backend.tasks.queue.getJob(`${job.taskId}.1`)).toBeFalsy();
    });

    it('finds the missing attempts of a batch, a job BullMQ gave up on among them (and removes that job)', async () => {
      const [live, delayed, lost, givenUp] = [attempt(), attempt(), attempt(), attempt()];
      // First: the worker that fails it would run any job waiting.
      await failJob(backend, `${givenUp.taskId}.1`);
      expect(await backend.tasks.queue.getJobState(`${givenUp.taskId}.1`)).toBe('failed');
      await backend.tasks.enqueueAttempts([
        { job: live, runAt: null },
        { job: delayed, runAt: new Date(Date.now() + 3_600_000) },
      ]);

      expect(await backend.tasks.missingAttempts([live, delayed, lost, givenUp])).toEqual([lost, givenUp]);
      expect(await backend.tasks.queue.getJob(`${givenUp.taskId}.1`)).toBeFalsy();
      await backend.tasks.enqueueAttempt(givenUp, null);
      expect(await backend.tasks.missingAttempts([givenUp])).toEqual([]);
    });

    it('runs a delayed job when it comes due, and a withdrawn one never', async () => {
      const [kept, withdrawn] = [attempt(), attempt()];
      const runAt = new Date(Date.now() + 1_500);
      await backend.tasks.enqueueAttempts([
        { job: kept, runAt },
        { job: withdrawn, runAt },
      ]);
      await backend.tasks.discardAttempts([withdrawn]);
      const seen: { id: string; at: number }[] = [];
      const worker = backend.createWorker(
        async (job) => {
          seen.push({ id: job.id!, at: Date.now() });
        },
        { concurrency: 2 },
      );
      try {
        const deadline = Date.now() + 15_000;
        while (!seen.some((job) => job.id === `${kept.taskId}.1`) && Date.now() < deadline) await sleep(50);
        await sleep(500);
      } finally {
        await worker.close();
      }
      const ran = seen.filter((job) => [kept, withdrawn].some((each) => job.id === `${each.taskId}.1`));
      expect(ran.map((job) => job.id)).toEqual([`${kept.taskId}.1`]);
      expect(ran[0]!.at).toBeGreaterThanOrEqual(runAt.getTime() - 50);
    });

    it('adds the same attempts from several producers at once, in any order, and none fails or is lost', async () => {
      // The API (or a bench) enqueues tasks just committed while the reconciler puts back the same ones it found
      // missing, each batch in its own order. On Postgres two such inserts once took the rows' index locks in opposite
      // orders and one died of `deadlock detected` (40P01).
      const producers = [backend, ...(await Promise.all([1, 2, 3].map(() => env.createQueueBackend())))];
      try {
        for (let round = 0; round < 3; round++) {
          const attempts = Array.from({ length: 400 }, () => ({ job: attempt(), runAt: null }));
          const results = await Promise.allSettled(producers.map((producer) => producer.tasks.enqueueAttempts(shuffled(attempts))));
          expect(results.filter((result) => result.status === 'rejected').map((result) => String(result.reason))).toEqual([]);
          expect(await backend.tasks.missingAttempts(attempts.map(({ job }) => job))).toEqual([]);
        }
      } finally {
        await Promise.all(producers.slice(1).map((producer) => producer.close()));
      }
    });

    it('stores no retention in a pending job, removes a completed job, and keeps one that failed for good', async () => {
      const [completes, fails] = [attempt(), attempt()];
      await backend.tasks.enqueueAttempt(completes, new Date(Date.now() + 300));
      const pending = await backend.tasks.queue.getJob(`${completes.taskId}.1`);
      expect(pending!.opts).not.toHaveProperty('removeOnComplete');
      expect(pending!.opts).not.toHaveProperty('removeOnFail');
      // The worker's retention applies to a job that names none, as every task attempt now is.
      await backend.tasks.queue.add('task-attempt', fails, { jobId: `${fails.taskId}.1`, attempts: 1 });
      const worker = backend.createWorker(
        async (job) => {
          if (job.id === `${fails.taskId}.1`) throw new Error('fails for good (test)');
        },
        { concurrency: 2 },
      );
      try {
        const deadline = Date.now() + 15_000;
        while ((await backend.tasks.queue.getJobState(`${fails.taskId}.1`)) !== 'failed' && Date.now() < deadline) await sleep(50);
        while ((await backend.tasks.queue.getJob(`${completes.taskId}.1`)) && Date.now() < deadline) await sleep(50);
      } finally {
        await worker.close();
      }
      expect(await backend.tasks.queue.getJob(`${completes.taskId}.1`)).toBeFalsy();
      expect(await backend.tasks.queue.getJobState(`${fails.taskId}.1`)).toBe('failed');
    });
  });

  describe('notification queue', () => {
    const queue = () => backend.notifications;

    it('queues a delivery once per notification id, however often it is added, due at once with the id only', async () => {
      const id = randomUUID();
      await Promise.all([queue().enqueueDeliveries([id]), queue().enqueueDeliveries([id, id])]);
      const job = await queue().queue.getJob(id);
      expect(job!.data).toEqual({ notificationId: id });
      expect(await queue().queue.getJobState(id)).toBe('waiting');
      expect(parseNotificationJob(job!.data)).toEqual({ notificationId: id });
      expect(parseNotificationJob({ notificationId: 'nope' })).toBeNull();
      await queue().queue.remove(id);
    });

    it('finds the deliveries of a batch that have no live job', async () => {
      const [live, lost] = [randomUUID(), randomUUID()];
      await queue().enqueueDeliveries([live]);
      expect(await queue().missingDeliveries([live, lost])).toEqual([lost]);
      await queue().queue.remove(live);
    });

    it('retries a failed delivery after the delivery backoff: 5 s first, doubling, at most an hour', async () => {
      expect([1, 2, 3, 10, 11, 30].map(deliveryRetryDelayMs)).toEqual([5_000, 10_000, 20_000, 2_560_000, 3_600_000, 3_600_000]);
      const id = randomUUID();
      let runs = 0;
      const worker = backend.createNotificationWorker(
        async (job) => {
          if (job.id !== id) return;
          runs += 1;
          throw new Error('SMTP away (test)');
        },
        { concurrency: 1 },
      );
      try {
        await queue().enqueueDeliveries([id]);
        const deadline = Date.now() + 10_000;
        while ((await queue().queue.getJobState(id)) !== 'delayed' && Date.now() < deadline) await sleep(50);
        const job = await queue().queue.getJob(id);
        expect(runs).toBe(1);
        expect(job!.attemptsMade).toBe(1);
        // Due about 5 s after it failed.
        const dueIn = job!.processedOn! + 5_000 - Date.now();
        expect(dueIn).toBeGreaterThan(2_000);
        expect(dueIn).toBeLessThanOrEqual(5_000);
      } finally {
        await worker.close();
        await queue().queue.remove(id);
      }
    });
  });

  describe('leader lock', () => {
    it('lets one of two holders have it, keeps it for its holder, and hands it over on release', async () => {
      const name = `lock-${randomUUID()}`;
      const [a, b] = [backend.createLeaderLock(name, { ttlMs: 60_000 }), backend.createLeaderLock(name, { ttlMs: 60_000 })];
      const [gotA, gotB] = await Promise.all([a.acquire(), b.acquire()]);
      expect([gotA, gotB].filter(Boolean)).toHaveLength(1);
      const [holder, other] = gotA ? [a, b] : [b, a];
      expect(await holder.acquire()).toBe(true);
      expect(await other.acquire()).toBe(false);
      await holder.release();
      expect(await other.acquire()).toBe(true);
      expect(await holder.acquire()).toBe(false);
      await other.release();
    });

    it('frees the lock of a holder that died', async () => {
      const name = `lock-${randomUUID()}`;
      const dying = backend.createLeaderLock(name, { ttlMs: 500 });
      const survivor = backend.createLeaderLock(name, { ttlMs: 500 });
      expect(await dying.acquire()).toBe(true);
      expect(await survivor.acquire()).toBe(false);
      // Redis: the holder stops renewing and its key lapses. Postgres: its session is gone.
      if (backendName === 'postgres') await terminateLockHolders(env, 1);
      else await sleep(700);
      expect(await survivor.acquire()).toBe(true);
      // The dead holder finds out on its next call rather than believing it still leads.
      expect(await dying.acquire().catch(() => false)).toBe(false);
      await survivor.release();
    });
  });

  describe('rate-limit counter', () => {
    it('counts per key within a window, shared by two backends, and starts again when the window ends', async () => {
      const other = await env.createQueueBackend();
      await other.waitUntilReady(10_000);
      try {
        const key = `user:${randomUUID()}`;
        const counts = [];
        for (const each of [backend, other, backend]) counts.push(await each.rateLimits.increment(key, 1_000));
        expect(counts.map((count) => count.current)).toEqual([1, 2, 3]);
        for (const count of counts) expect(count.ttlMs).toBeGreaterThan(0);
        for (const count of counts) expect(count.ttlMs).toBeLessThanOrEqual(1_000);
        expect((await other.rateLimits.increment(`user:${randomUUID()}`, 1_000)).current).toBe(1);
        await sleep(1_100);
        expect((await other.rateLimits.increment(key, 1_000)).current).toBe(1);
      } finally {
        await other.close();
      }
    });

    it('gives concurrent requests of a key each its own count, as if counted one by one', async () => {
      // Redis counts the requests that wait for a round trip with one INCRBY: each must still get its own number, in
      // arrival order (Postgres counts each on its own, in whatever order the pool's connections run them).
      const other = await env.createQueueBackend();
      await other.waitUntilReady(10_000);
      try {
        const key = `user:${randomUUID()}`;
        const mine = Array.from({ length: 40 }, () => backend.rateLimits.increment(key, 60_000));
        const theirs = Array.from({ length: 10 }, () => other.rateLimits.increment(key, 60_000));
        const counts = await Promise.all([...mine, ...theirs]);
        expect(counts.map((count) => count.current).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
        const own = counts.slice(0, 40).map((count) => count.current);
        if (backendName === 'redis') expect(own).toEqual([...own].sort((a, b) => a - b));
        for (const count of counts) expect(count.ttlMs).toBeGreaterThan(0);
        expect((await backend.rateLimits.read(key))?.current).toBe(50);
        const elsewhere = await Promise.all([1, 2, 3].map(() => backend.rateLimits.increment(`user:${randomUUID()}`, 60_000)));
        expect(elsewhere.map((count) => count.current)).toEqual([1, 1, 1]);
      } finally {
        await other.close();
      }
    });
  });

  it('answers its health check', async () => {
    await backend.ping();
    expect(backend.name).toBe(backendName);
  });

  it.runIf(backendName === 'postgres')("commits BullMQ's queue changes without waiting for the WAL flush", async () => {
    // The queue is repaired from our tables, never the reverse (see QUEUE_SESSION_OPTIONS); a flush per job transition
    // was a wait on every fetch and finish.
    const queueBackend = (
      backend.tasks.queue as unknown as { backend: { query(sql: string): Promise<{ rows: { synchronous_commit: string }[] }> } }
    ).backend;
    expect((await queueBackend.query('SHOW synchronous_commit')).rows[0]!.synchronous_commit).toBe('off');
  });

  it.runIf(backendName === 'postgres')("fetches and finishes a busy worker's jobs over at most 4 connections of its own", async () => {
    // More only ran more finish-and-fetches at once, contending in Postgres for the same index pages and rows: ~15 %
    // more of its CPU per job with 10 (see WORKER_CONNECTIONS). 50 jobs in flight finishing together would open 10.
    const queueConnections = (): Promise<Set<number>> =>
      withPostgresClient(env.databaseUrl, async (client) => {
        const { rows } = await client.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'punctual-bullmq'",
        );
        return new Set(rows.map((row) => row.pid));
      });
    const jobs = Array.from({ length: 60 }, () => ({ job: attempt(), runAt: null }));
    await backend.tasks.enqueueAttempts(jobs);
    const before = await queueConnections();
    let completed = 0;
    const worker = backend.createWorker(() => sleep(200), { concurrency: 50 });
    worker.on('completed', () => (completed += 1));
    try {
      const deadline = Date.now() + 20_000;
      while (completed < jobs.length && Date.now() < deadline) await sleep(50);
      expect(completed).toBe(jobs.length);
      // An idle connection stays in its pool for 10 s: all the worker opened are still there. (Its LISTEN session has
      // renamed itself after the queue by then.)
      const opened = [...(await queueConnections())].filter((pid) => !before.has(pid));
      expect(opened.length).toBeGreaterThanOrEqual(1);
      expect(opened.length).toBeLessThanOrEqual(4);
    } finally {
      await worker.close();
    }
  });
});

describe('the Postgres queue schema', () => {
  it.each([
    ['punctual', 'bullmq_punctual'],
    ['punctual_2', 'bullmq_punctual_2'],
  ])('is bullmq_<prefix> for a prefix that is a plain identifier (%s)', (prefix, schema) => {
    expect(queueSchemaName(prefix)).toBe(schema);
  });

  it('folds any other prefix to a distinct identifier of at most 63 characters', () => {
    const names = ['a-b', 'a_b', 'A_b', `test-${randomUUID()}`, 'x'.repeat(100)].map(queueSchemaName);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^bullmq_[a-z0-9_]{1,56}$/);
  });
});

describe('parseTaskAttemptJob', () => {
  it.each([
    [{ taskId: randomUUID(), version: 1 }, true],
    [{ taskId: randomUUID(), runId: randomUUID(), version: 1 }, true],
    [{ taskId: 'nope', runId: randomUUID(), version: 1 }, false],
    [{ taskId: randomUUID(), runId: randomUUID(), version: 0 }, false],
    [{ taskId: randomUUID(), runId: randomUUID(), version: 1, url: 'http://x' }, false],
    [null, false],
  ])('accepts only well-formed attempt payloads (%o → %s)', (data, valid) => {
    expect(parseTaskAttemptJob(data) !== null).toBe(valid);
  });
});

/** A copy of `items` in a random order (Fisher–Yates). */
function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Ends the sessions holding an advisory lock in this environment's database, as a lost connection would. */
async function terminateLockHolders(env: TestEnvironment, expected: number): Promise<void> {
  const databaseName = new URL(env.databaseUrl).pathname.slice(1);
  const ended = await withPostgresClient(env.databaseUrl, (client) =>
    client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = $1)`,
      [databaseName],
    ),
  );
  expect(ended.rowCount).toBe(expected);
}
