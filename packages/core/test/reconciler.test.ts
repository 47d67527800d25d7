import { sql } from 'kysely';
import { applyRetention, createTask, recoverLostAttempts, repairQueue, WORKER_LOST, type ReconcilerContext } from '@punctual/core';
import { claimAttempt } from '@punctual/db';
import { failJob, useTaskEnvironment } from '@punctual/testing';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';

const t = useTaskEnvironment({ email: 'reconciler@example.com' });
let reconciler: ReconcilerContext;
const silent = { warn: () => {} };
const HOUR = 3_600_000;

beforeAll(() => {
  reconciler = { db: t.env.db, queue: t.queue, logger: silent, notifications: { emailEnabled: false, queue: t.backend.notifications } };
});

beforeEach(async () => {
  await t.env.db.deleteFrom('tasks').execute();
  await t.queue.queue.obliterate({ force: true });
});

const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();
const repairAll = { lookaheadMs: 2 * HOUR, batchSize: 1_000, maxBatches: 10 };

async function taskRow(id: string) {
  return t.env.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function jobIds(): Promise<string[]> {
  const jobs = await t.queue.queue.getJobs(['delayed', 'wait', 'failed', 'completed', 'active']);
  return jobs.map((job) => job.id!).sort();
}

describe('repairQueue', () => {
  it('puts back the jobs of waiting tasks lost from Redis (FLUSHALL), for their nextRunAt, and no others', async () => {
    const waiting = await Promise.all(
      [1, 2, 3].map((n) => createTask(t.tasks, t.actor, { name: `t${n}`, url: 'https://example.com', scheduledAt: inFuture(n * 60_000) })),
    );
    const paused = await createTask(t.tasks, t.actor, { name: 'paused', url: 'https://example.com', scheduledAt: inFuture(60_000) });
    await t.updateTask(paused.id, { status: 'paused' });
    await t.queue.queue.obliterate({ force: true });

    const result = await repairQueue(reconciler, repairAll);

    expect(result).toEqual({ checked: 3, enqueued: 3 });
    expect(await jobIds()).toEqual(waiting.map((task) => `${task.id}.1`).sort());
    const job = await t.queue.queue.getJob(`${waiting[2]!.id}.1`);
    expect(job!.delay).toBeGreaterThan(170_000);
  });

  it('leaves an existing job alone: a second pass adds nothing', async () => {
    await createTask(t.tasks, t.actor, { name: 'kept', url: 'https://example.com', scheduledAt: inFuture(60_000) });
    const before = await jobIds();
    expect(await repairQueue(reconciler, repairAll)).toMatchObject({ checked: 1, enqueued: 0 });
    expect(await jobIds()).toEqual(before);
  });

  it('replaces a job BullMQ gave up on, so the task runs after all', async () => {
    const task = await createTask(t.tasks, t.actor, { name: 'given-up', url: 'https://example.com' });
    // A job that failed all its BullMQ attempts is kept, finished, under the attempt's id.
    await failJob(t.backend, `${task.id}.1`);
    expect(await t.queue.queue.getJobState(`${task.id}.1`)).toBe('failed');

    expect(await repairQueue(reconciler, repairAll)).toMatchObject({ enqueued: 1 });
    expect(await t.queue.queue.getJobState(`${task.id}.1`)).toMatch(/wait|delayed|prioritized/);
  });

  it('checks only tasks due within the look-ahead; later ones wait for a later pass', async () => {
    await createTask(t.tasks, t.actor, { name: 'soon', url: 'https://example.com', scheduledAt: inFuture(60_000) });
    await createTask(t.tasks, t.actor, { name: 'later', url: 'https://example.com', scheduledAt: inFuture(48 * HOUR) });
    await t.queue.queue.obliterate({ force: true });
    expect(await repairQueue(reconciler, { ...repairAll, lookaheadMs: 5 * 60_000 })).toMatchObject({ checked: 1, enqueued: 1 });
  });

  it('walks a long backlog in keyset batches and carries on from its cursor', async () => {
    const created = [];
    for (let n = 0; n < 7; n += 1)
      created.push(
        await createTask(t.tasks, t.actor, { name: `b${n}`, url: 'https://example.com', scheduledAt: inFuture((n + 1) * 1_000) }),
      );
    await t.queue.queue.obliterate({ force: true });

    const first = await repairQueue(reconciler, { lookaheadMs: HOUR, batchSize: 2, maxBatches: 2 });
    expect(first).toMatchObject({ checked: 4, enqueued: 4 });
    expect(first.cursor).toBeDefined();
    const second = await repairQueue(reconciler, { lookaheadMs: HOUR, batchSize: 2, maxBatches: 10, cursor: first.cursor });
    expect(second).toEqual({ checked: 3, enqueued: 3 });
    expect(await jobIds()).toEqual(created.map((task) => `${task.id}.1`).sort());
  });

  it('pages past tasks due within one millisecond: the cursor keeps microseconds, so no task is read twice', async () => {
    const created = [];
    for (let n = 0; n < 6; n += 1)
      created.push(await createTask(t.tasks, t.actor, { name: `m${n}`, url: 'https://example.com', scheduledAt: inFuture(60_000) }));
    // Six distinct microseconds of one millisecond: a cursor rounded to milliseconds reads the earlier ones again.
    await sql`UPDATE tasks SET next_run_at = date_trunc('milliseconds', now() + interval '1 minute') + (ord * interval '1 microsecond')
              FROM unnest(${created.map((task) => task.id)}::uuid[]) WITH ORDINALITY AS picked(id, ord) WHERE tasks.id = picked.id`.execute(
      t.env.db,
    );
    await t.queue.queue.obliterate({ force: true });

    const result = await repairQueue(reconciler, { lookaheadMs: HOUR, batchSize: 2, maxBatches: 10 });

    expect(result).toEqual({ checked: 6, enqueued: 6 });
  });
});

describe('recoverLostAttempts', () => {
  async function lostAttempt(overrides: Record<string, unknown> = {}) {
    const task = await createTask(t.tasks, t.actor, { name: 'lost', url: 'https://example.com', ...overrides });
    const claimed = await claimAttempt(t.env.db, { taskId: task.id, version: 1, workerId: 'dead-worker:1', leaseMarginMs: 30_000 });
    expect(claimed).not.toBeNull();
    await t.updateTask(task.id, { lease_expires_at: new Date(Date.now() - 1_000) });
    return task;
  }

  it('closes the open log as failed "worker lost" and retries the run by its policy on a new version', async () => {
    const task = await lostAttempt({ maxRetries: 2, backoff: { type: 'fixed', delayMs: 5_000 } });

    expect(await recoverLostAttempts(reconciler, { limit: 10 })).toBe(1);

    const row = await taskRow(task.id);
    expect(row).toMatchObject({ status: 'retrying', attempts: 1, version: 2, lease_expires_at: null, last_error: WORKER_LOST });
    expect(row.next_run_at!.getTime() - Date.now()).toBeGreaterThan(3_000);
    const [log] = await t.env.db.selectFrom('task_logs').selectAll().where('task_id', '=', task.id).execute();
    expect(log).toMatchObject({ outcome: 'failed', error: WORKER_LOST, worker_id: 'dead-worker:1', status_code: null });
    expect(log!.finished_at).not.toBeNull();
    expect(log!.next_retry_at).toEqual(row.next_run_at);
    expect(await t.queue.queue.getJob(`${task.id}.2`)).toBeDefined();
  });

  it("logs each lost attempt with its task, run, attempt and the lost worker's id (lostWorkerId)", async () => {
    const task = await lostAttempt({ maxRetries: 1 });
    const lines: Array<{ fields: unknown; message: string }> = [];
    const logger = { warn: (fields: unknown, message: string) => lines.push({ fields, message }) };

    expect(await recoverLostAttempts({ ...reconciler, logger }, { limit: 10 })).toBe(1);

    const row = await taskRow(task.id);
    expect(lines).toEqual([
      {
        fields: { taskId: task.id, runId: row.run_id, attempt: 1, lostWorkerId: 'dead-worker:1' },
        message: expect.stringMatching(/lost worker/),
      },
    ]);
  });

  it('fails a one-off run whose lost attempt was its last', async () => {
    const task = await lostAttempt({ maxRetries: 0 });
    await recoverLostAttempts(reconciler, { limit: 10 });
    expect(await taskRow(task.id)).toMatchObject({ status: 'failed', run_count: 1, last_outcome: 'failed' });
  });

  it('sends a recurring task on to its next occurrence when the lost attempt was its last', async () => {
    const task = await createTask(t.tasks, t.actor, { name: 'lost-cron', url: 'https://example.com', cron: '*/5 * * * *', maxRetries: 0 });
    await t.updateTask(task.id, { next_run_at: new Date() });
    await claimAttempt(t.env.db, { taskId: task.id, version: 1, workerId: 'dead-worker:2', leaseMarginMs: 30_000 });
    await t.updateTask(task.id, { lease_expires_at: new Date(Date.now() - 1_000) });

    await recoverLostAttempts(reconciler, { limit: 10 });

    const row = await taskRow(task.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 0, run_count: 1 });
    expect(row.next_run_at!.getTime()).toBeGreaterThan(Date.now());
  });

  it('leaves an attempt whose lease still holds alone', async () => {
    const task = await createTask(t.tasks, t.actor, { name: 'alive', url: 'https://example.com' });
    await claimAttempt(t.env.db, { taskId: task.id, version: 1, workerId: 'live-worker:1', leaseMarginMs: 30_000 });
    expect(await recoverLostAttempts(reconciler, { limit: 10 })).toBe(0);
    expect((await taskRow(task.id)).status).toBe('running');
  });
});

describe('applyRetention', () => {
  it('deletes logs older than the retention period in batches and keeps the rest', async () => {
    const task = await createTask(t.tasks, t.actor, { name: 'old', url: 'https://example.com' });
    const row = await taskRow(task.id);
    const log = (daysAgo: number, attempt: number) => ({
      task_id: task.id,
      user_id: t.actor.userId,
      run_id: row.run_id,
      attempt,
      outcome: 'failed' as const,
      scheduled_for: new Date(Date.now() - daysAgo * 86_400_000),
      started_at: new Date(Date.now() - daysAgo * 86_400_000),
      worker_id: 'w',
    });
    await t.env.db
      .insertInto('task_logs')
      .values([log(40, 1), log(35, 2), log(31, 3), log(29, 4), log(1, 5)])
      .execute();

    const result = await applyRetention(reconciler, {
      logRetentionDays: 30,
      batchSize: 2,
      maxBatches: 10,
      idempotencyKeyTtlMs: 86_400_000,
    });

    expect(result.logs).toBe(3);
    const left = await t.env.db.selectFrom('task_logs').select('attempt').where('task_id', '=', task.id).orderBy('attempt').execute();
    expect(left.map((l) => l.attempt)).toEqual([4, 5]);
  });
});
