import { randomBytes } from 'node:crypto';
import { attemptTiming, createTask, runAttempt, stateAfterAttempt, type AttemptContext } from '@punctual/core';
import { claimAttempts, createAttemptWriter, recordAttempts, type AttemptFinish, type ClaimedAttempt } from '@punctual/db';
import { startTargetServer, useFixture, useTaskEnvironment } from '@punctual/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { useAttemptContext } from './attempt-context.js';

// Group commit of attempts (createAttemptWriter, as the worker runs them): many attempts share a claim statement and
// a record statement, and each keeps the guarantees it has alone.
const t = useTaskEnvironment({ email: 'group-commit@example.com', allowPrivateTargets: true, secretsKey: randomBytes(32) });
const alone = useAttemptContext(t);
const target = useFixture(startTargetServer, (server) => server.close());
const WORKER = { workerId: 'group-worker:1', leaseMarginMs: 30_000 };
let grouped: AttemptContext;
beforeAll(() => {
  // Every attempt of one user at once: no USER_CONCURRENCY in the way of the batches under test.
  grouped = {
    ...alone,
    ...WORKER,
    writer: createAttemptWriter(t.env.db, WORKER),
    limits: { ...alone.limits, userConcurrency: 1_000 },
  };
});

async function taskRow(id: string) {
  return t.env.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function logsOf(ids: string[]) {
  return t.env.db.selectFrom('task_logs').selectAll().where('task_id', 'in', ids).execute();
}

async function createTasks(count: number, path: string, options: { maxRetries?: number } = {}) {
  const tasks = [];
  for (let i = 0; i < count; i += 1)
    tasks.push(await createTask(t.tasks, t.actor, { name: `grouped ${i}`, url: `${target().url}${path}?i=${i}`, ...options }));
  return Promise.all(tasks.map(async (task) => ({ taskId: task.id, runId: (await taskRow(task.id)).run_id, version: 1 })));
}

/** An attempt's record as the runner makes it, for a claim that got an answer of `statusCode`. */
function finishOf(claimed: ClaimedAttempt, statusCode: number, overrides: { durationMs?: number } = {}): AttemptFinish {
  const outcome = statusCode < 300 ? ('succeeded' as const) : ('failed' as const);
  const result = {
    outcome,
    failure: outcome === 'failed' ? ('status' as const) : null,
    statusCode,
    durationMs: overrides.durationMs ?? 5,
    error: outcome === 'failed' ? `HTTP ${statusCode}` : null,
    responseHeaders: { 'content-type': 'text/plain' },
    responseBody: 'ok',
    responseTruncated: false,
  };
  return {
    claimed,
    record: { ...result, startedAt: new Date() },
    decide: (task) => stateAfterAttempt(task, { ...result, retryAfterMs: null }, attemptTiming({}, new Date())),
  };
}

describe('group commit of attempts', () => {
  it('records many concurrent attempts each on its own task and log row, once', async () => {
    const jobs = await createTasks(60, '/ok/many');

    const summaries = await Promise.all(jobs.map((job) => runAttempt(grouped, job)));

    expect(summaries.every((s) => s.kind === 'attempted' && s.outcome === 'succeeded' && s.status === 'completed')).toBe(true);
    expect(target().hitsFor('/ok/many')).toHaveLength(60);
    const logs = await logsOf(jobs.map((job) => job.taskId));
    expect(logs).toHaveLength(60);
    for (const job of jobs) {
      const log = logs.find((l) => l.task_id === job.taskId)!;
      expect(log).toMatchObject({ run_id: job.runId, attempt: 1, outcome: 'succeeded', status_code: 200, worker_id: WORKER.workerId });
      expect(log.finished_at).not.toBeNull();
      expect(log.response_headers).toMatchObject({ 'content-type': expect.any(String) });
      expect(await taskRow(job.taskId)).toMatchObject({
        status: 'completed',
        version: 2,
        attempts: 1,
        run_count: 1,
        lease_expires_at: null,
      });
    }
  });

  it('retries and fails tasks in a batch as each one alone would', async () => {
    const jobs = await createTasks(20, '/status/503', { maxRetries: 1 });

    await Promise.all(jobs.map((job) => runAttempt(grouped, job)));

    for (const job of jobs) {
      const row = await taskRow(job.taskId);
      expect(row).toMatchObject({ status: 'retrying', attempts: 1, version: 2, last_status_code: 503, last_error: 'HTTP 503' });
      const [log] = await logsOf([job.taskId]);
      expect(log!.next_retry_at).toEqual(row.next_run_at);
    }
  });

  it('drops only the stale job of a batch of claims', async () => {
    const jobs = await createTasks(3, '/ok/stale-claim');
    await t.updateTask(jobs[1]!.taskId, { version: 2 });

    const claims = await claimAttempts(
      t.env.db,
      jobs.map((job) => ({ ...job, ...WORKER })),
    );

    expect(claims.map((claim) => claim?.task.id ?? null)).toEqual([jobs[0]!.taskId, null, jobs[2]!.taskId]);
    expect(claims[0]).toMatchObject({ attempt: 1, task: { status: 'running' } });
    const logs = await logsOf(jobs.map((job) => job.taskId));
    expect(logs.map((log) => log.task_id).sort()).toEqual([jobs[0]!.taskId, jobs[2]!.taskId].sort());
    expect(await taskRow(jobs[1]!.taskId)).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('leaves a task changed since its claim to the locking path, and records the rest of the batch', async () => {
    const jobs = await createTasks(3, '/ok/changed');
    const claims = (await claimAttempts(
      t.env.db,
      jobs.map((job) => ({ ...job, ...WORKER })),
    )) as ClaimedAttempt[];
    // A cancel during the attempts: a terminal status and a new version.
    await t.updateTask(jobs[1]!.taskId, { status: 'cancelled', version: 2 });

    const finishes = claims.map((claimed) => finishOf(claimed, 200));
    expect((await recordAttempts(t.env.db, finishes)).map((row) => row?.status ?? null)).toEqual(['completed', null, 'completed']);
    // Through the writer, the changed one takes the locking path: its log is closed, its task stays cancelled.
    expect(await grouped.writer!.finish(finishes[1]!)).toBeNull();
    expect(await taskRow(jobs[1]!.taskId)).toMatchObject({ status: 'cancelled', version: 2 });
    const logs = await logsOf(jobs.map((job) => job.taskId));
    expect(logs.map((log) => log.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('runs the attempts of a failed batch statement one by one: only the bad one fails', async () => {
    const jobs = await createTasks(6, '/ok/bad-row');
    const writer = createAttemptWriter(t.env.db, WORKER);
    const claims = await Promise.all(jobs.map((job) => writer.claim(job)));
    // A duration out of `integer`'s range fails any statement it is in (a real error from Postgres, not a stand-in).
    const finishes = claims.map((claimed, index) => finishOf(claimed!, 200, index === 4 ? { durationMs: 2 ** 40 } : {}));

    const results = await Promise.allSettled(finishes.map((finish) => writer.finish(finish)));

    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[4] as PromiseRejectedResult).reason)).toMatch(/out of range/);
    for (const [index, job] of jobs.entries()) expect((await taskRow(job.taskId)).status).toBe(index === 4 ? 'running' : 'completed');
  });

  it('makes one call when the same job is delivered twice at once', async () => {
    const [job] = await createTasks(1, '/delay/100/twice');

    const results = await Promise.all([runAttempt(grouped, job!), runAttempt(grouped, job!)]);

    expect(results.filter((r) => r.kind === 'dropped')).toHaveLength(1);
    expect(target().hitsFor('/delay/100/twice')).toHaveLength(1);
    expect(await logsOf([job!.taskId])).toHaveLength(1);
  });
});
