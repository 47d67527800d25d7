import { randomBytes } from 'node:crypto';
import { actOnTask, createTask, runAttempt } from '@punctual/core';
import { startTargetServer, useFixture, useTaskEnvironment } from '@punctual/testing';
import { describe, expect, it } from 'vitest';
import { logsOfTask, taskRowOf, useAttemptContext } from './attempt-context.js';

const secretsKey = randomBytes(32);
// The target listens on 127.0.0.1, which the address guard refuses unless private targets are allowed.
const t = useTaskEnvironment({ email: 'runner@example.com', allowPrivateTargets: true, secretsKey });
const attempts = useAttemptContext(t);
const target = useFixture(startTargetServer, (server) => server.close());

const taskRow = (id: string) => taskRowOf(t, id);
const logsOf = (id: string) => logsOfTask(t, id);

/** The job the queue holds for the task's current version. */
async function queuedJob(id: string) {
  const { version } = await taskRow(id);
  return t.queue.queue.getJob(`${id}.${version}`);
}

async function jobFor(id: string) {
  const row = await taskRow(id);
  return { taskId: id, runId: row.run_id, version: row.version };
}

describe('runAttempt', () => {
  it('calls the target with the task, its secrets and the Punctual headers, and completes the task', async () => {
    const task = await createTask(t.tasks, t.actor, {
      name: 'hook',
      url: `${target().url}/echo?case=success`,
      method: 'POST',
      body: { hello: 'world' },
      token: 'sekret',
      headers: { 'X-Api-Key': 'k-123', 'X-Plain': 'p' },
    });
    const job = await jobFor(task.id);

    const summary = await runAttempt(attempts, job);

    expect(summary).toMatchObject({ kind: 'attempted', outcome: 'succeeded', status: 'completed', attempt: 1 });
    const hit = target()
      .hitsFor('/echo')
      .find((h) => h.query.includes('case=success'))!;
    expect(hit.method).toBe('POST');
    expect(JSON.parse(hit.body)).toEqual({ hello: 'world' });
    expect(hit.headers).toMatchObject({
      authorization: 'Bearer sekret',
      'x-api-key': 'k-123',
      'x-plain': 'p',
      'punctual-task-id': task.id,
      'punctual-run-id': job.runId,
      'punctual-attempt': '1',
      'content-type': 'application/json',
    });
    const row = await taskRow(task.id);
    expect(row).toMatchObject({
      status: 'completed',
      attempts: 1,
      run_count: 1,
      version: job.version + 1,
      last_outcome: 'succeeded',
      last_status_code: 200,
      next_run_at: null,
      lease_expires_at: null,
    });
    const [log] = await logsOf(task.id);
    expect(log).toMatchObject({
      outcome: 'succeeded',
      status_code: 200,
      attempt: 1,
      run_id: job.runId,
      worker_id: 'test-worker:1',
      next_retry_at: null,
    });
    expect(log!.finished_at).not.toBeNull();
    expect(await queuedJob(task.id)).toBeUndefined();
  });

  it('moves a failed attempt to retrying with backoff and queues the next attempt for the new version', async () => {
    const task = await createTask(t.tasks, t.actor, {
      name: 'flaky',
      url: `${target().url}/status/503`,
      backoff: { type: 'fixed', delayMs: 5_000 },
    });
    const before = Date.now();

    await runAttempt(attempts, await jobFor(task.id));

    const row = await taskRow(task.id);
    expect(row.status).toBe('retrying');
    expect(row.attempts).toBe(1);
    expect(row.next_run_at!.getTime()).toBeGreaterThanOrEqual(before + 5_000);
    expect(row.next_run_at!.getTime()).toBeLessThan(Date.now() + 5_000 + 1_000);
    const [log] = await logsOf(task.id);
    expect(log).toMatchObject({ outcome: 'failed', status_code: 503, error: 'HTTP 503' });
    expect(log!.next_retry_at).toEqual(row.next_run_at);
    const next = await queuedJob(task.id);
    expect(next?.data).toEqual({ taskId: task.id, version: row.version });
    expect(next!.delay).toBeGreaterThan(3_000);
  });

  it('moves a task to failed after 1 + maxRetries attempts, all in one run', async () => {
    const task = await createTask(t.tasks, t.actor, { name: 'down', url: `${target().url}/status/500`, maxRetries: 2 });
    for (let i = 0; i < 3; i += 1) await runAttempt(attempts, await jobFor(task.id));

    const row = await taskRow(task.id);
    expect(row).toMatchObject({ status: 'failed', attempts: 3, run_count: 1, last_error: 'HTTP 500', next_run_at: null });
    const logs = await logsOf(task.id);
    expect(logs.map((l) => [l.attempt, l.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'failed'],
    ]);
    expect(new Set(logs.map((l) => l.run_id)).size).toBe(1);
    expect(logs[2]!.next_retry_at).toBeNull();
    expect(await queuedJob(task.id)).toBeUndefined();
  });

  it('raises the retry delay to what a 429 Retry-After asks', async () => {
    const task = await createTask(t.tasks, t.actor, {
      name: 'limited',
      url: `${target().url}/retry-after/429/30`,
      backoff: { delayMs: 10 },
    });
    await runAttempt(attempts, await jobFor(task.id));
    const row = await taskRow(task.id);
    expect(row.next_run_at!.getTime() - Date.now()).toBeGreaterThan(25_000);
  });

  it('drops a job for an old version without calling', async () => {
    const task = await createTask(t.tasks, t.actor, { name: 'moved', url: `${target().url}/ok?case=stale` });
    const job = await jobFor(task.id);
    await t.updateTask(task.id, { version: job.version + 1 });

    expect(await runAttempt(attempts, job)).toEqual({ kind: 'dropped', reason: 'stale' });
    expect(target().hits.filter((h) => h.query.includes('case=stale'))).toHaveLength(0);
    expect(await logsOf(task.id)).toHaveLength(0);
  });

  it('drops a job whose task was deleted without calling', async () => {
    const task = await createTask(t.tasks, t.actor, { name: 'gone', url: `${target().url}/ok?case=deleted` });
    const job = await jobFor(task.id);
    await t.env.db.deleteFrom('tasks').where('id', '=', task.id).execute();

    expect(await runAttempt(attempts, job)).toEqual({ kind: 'dropped', reason: 'stale' });
    expect(target().hits.filter((h) => h.query.includes('case=deleted'))).toHaveLength(0);
  });

  it('makes one call when the same job is delivered twice at once', async () => {
    const task = await createTask(t.tasks, t.actor, { name: 'twice', url: `${target().url}/delay/200?case=twice` });
    const job = await jobFor(task.id);

    const results = await Promise.all([runAttempt(attempts, job), runAttempt(attempts, job)]);

    expect(results.filter((r) => r.kind === 'dropped')).toHaveLength(1);
    expect(target().hits.filter((h) => h.query.includes('case=twice'))).toHaveLength(1);
    expect(await logsOf(task.id)).toHaveLength(1);
  });

  it('keeps the log of an attempt whose task was cancelled meanwhile, and drops its result', async () => {
    const task = await createTask(t.tasks, t.actor, { name: 'cancelled', url: `${target().url}/delay/300?case=cancel`, maxRetries: 0 });
    const running = runAttempt(attempts, await jobFor(task.id));
    await target().waitForHits(1, { pathPrefix: '/delay/300' });
    // What a cancel does: a terminal status and a new version, so nothing queued for the old one can fire.
    await t.env.db
      .updateTable('tasks')
      .set((eb) => ({ status: 'cancelled', version: eb('version', '+', 1) }))
      .where('id', '=', task.id)
      .execute();

    expect(await running).toMatchObject({ kind: 'attempted', outcome: 'succeeded', status: null });
    expect((await taskRow(task.id)).status).toBe('cancelled');
    const [log] = await logsOf(task.id);
    expect(log).toMatchObject({ outcome: 'succeeded', next_retry_at: null });
    expect(await queuedJob(task.id)).toBeUndefined();
  });

  it('fails the attempt without calling when the secrets cannot be opened', async () => {
    const task = await createTask(t.tasks, t.actor, { name: 'rotated', url: `${target().url}/ok?case=key`, token: 't', maxRetries: 0 });
    const summary = await runAttempt({ ...attempts, secretsKey: randomBytes(32) }, await jobFor(task.id));

    expect(summary).toMatchObject({ outcome: 'failed', status: 'failed' });
    expect(target().hits.filter((h) => h.query.includes('case=key'))).toHaveLength(0);
    const [log] = await logsOf(task.id);
    expect(log!.error).toMatch(/^not sent: .*neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS/);
  });
});

describe('runAttempt on a recurring task', () => {
  /** A cron task whose current run is due now (as when its occurrence came). */
  async function dueCronTask(name: string, url: string, extra: Record<string, unknown> = {}) {
    const task = await createTask(t.tasks, t.actor, { name, url, cron: '0 0 1 1 *', timezone: 'Europe/Berlin', ...extra });
    await t.updateTask(task.id, { next_run_at: new Date(Date.now() - 1_000) });
    return task;
  }

  it('returns to pending after a successful run, with a new run id and its next occurrence queued', async () => {
    const task = await dueCronTask('yearly', `${target().url}/ok?case=cron-ok`);
    const job = await jobFor(task.id);

    expect(await runAttempt(attempts, job)).toMatchObject({ outcome: 'succeeded', status: 'pending' });

    const row = await taskRow(task.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 0, run_count: 1, last_outcome: 'succeeded', hold_after_run: false });
    expect(row.run_id).not.toBe(job.runId);
    // Midnight of 1 January in Berlin is 23:00 UTC on 31 December.
    expect(row.next_run_at!.toISOString()).toMatch(/-12-31T23:00:00\.000Z$/);
    expect(row.next_run_at!.getTime()).toBeGreaterThan(Date.now());
    expect((await queuedJob(task.id))?.data).toEqual({ taskId: task.id, version: row.version });
  });

  it('records a run whose attempts are used up as failed and waits for the next occurrence', async () => {
    const task = await dueCronTask('yearly-down', `${target().url}/status/500?case=cron-down`, { maxRetries: 1 });
    const firstRun = (await jobFor(task.id)).runId;
    await runAttempt(attempts, await jobFor(task.id));
    expect((await taskRow(task.id)).status).toBe('retrying');
    await runAttempt(attempts, await jobFor(task.id));

    const row = await taskRow(task.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 0, run_count: 1, last_outcome: 'failed' });
    expect(row.run_id).not.toBe(firstRun);
    expect(row.next_run_at!.getTime()).toBeGreaterThan(Date.now());
    const logs = await logsOf(task.id);
    expect(logs.map((log) => [log.run_id, log.attempt, log.outcome])).toEqual([
      [firstRun, 1, 'failed'],
      [firstRun, 2, 'failed'],
    ]);
  });

  it('runs occurrences missed while nothing ran once, then keeps its schedule', async () => {
    const task = await createTask(t.tasks, t.actor, { name: 'every-minute', url: `${target().url}/ok?case=missed`, cron: '* * * * *' });
    // Three hours of occurrences went by while no worker ran.
    await t.updateTask(task.id, { next_run_at: new Date(Date.now() - 3 * 3_600_000) });

    await runAttempt(attempts, await jobFor(task.id));

    const row = await taskRow(task.id);
    expect(target().hits.filter((h) => h.query.includes('case=missed'))).toHaveLength(1);
    expect(row.next_run_at!.getTime()).toBeGreaterThan(Date.now());
    expect(row.next_run_at!.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(row.next_run_at!.getUTCSeconds()).toBe(0);
  });

  it('a manual run of a paused recurring task runs once, then the task is paused again at its schedule', async () => {
    const task = await createTask(t.tasks, t.actor, { name: 'held', url: `${target().url}/ok?case=held`, cron: '0 0 1 1 *' });
    const scheduled = (await taskRow(task.id)).next_run_at;
    await actOnTask(t.tasks, t.actor, task.id, 'pause');
    await actOnTask(t.tasks, t.actor, task.id, 'run');

    await runAttempt(attempts, await jobFor(task.id));

    const row = await taskRow(task.id);
    expect(row).toMatchObject({ status: 'paused', hold_after_run: false, run_count: 1 });
    expect(row.next_run_at).toEqual(scheduled);
    expect(await queuedJob(task.id)).toBeUndefined();
  });

  it('a manual run keeps the cron schedule: the next run is still the next occurrence', async () => {
    const task = await createTask(t.tasks, t.actor, { name: 'extra', url: `${target().url}/ok?case=extra`, cron: '0 0 1 1 *' });
    const scheduled = (await taskRow(task.id)).next_run_at;
    await actOnTask(t.tasks, t.actor, task.id, 'run');
    await runAttempt(attempts, await jobFor(task.id));
    expect((await taskRow(task.id)).next_run_at).toEqual(scheduled);
  });

  it('counts a reset-retries made while an attempt is in flight', async () => {
    const task = await createTask(t.tasks, t.actor, { name: 'reset', url: `${target().url}/delay/300?case=reset`, maxRetries: 1 });
    await t.updateTask(task.id, { status: 'retrying', attempts: 1 });
    const running = runAttempt(attempts, await jobFor(task.id));
    await target().waitForHits(1, { pathPrefix: '/delay/300' });
    await actOnTask(t.tasks, t.actor, task.id, 'reset-retries');
    await running;
    // Attempt 2 of 2 succeeded here; what matters is that the reset did not void the attempt's result.
    expect((await taskRow(task.id)).status).toBe('completed');
  });
});
