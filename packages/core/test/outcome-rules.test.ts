import { randomBytes } from 'node:crypto';
import { createTask, runAttempt, type AttemptContext, type CreateTaskInput } from '@punctual/core';
import { createExecutor, type Executor } from '@punctual/executor';
import { startTargetServer, useFixture, useTaskEnvironment } from '@punctual/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAttemptContext } from './attempt-context.js';

// Whole attempts (claim, real HTTP call to a local target, record in Postgres) under successCodes and retryOn.

const secretsKey = randomBytes(32);
const t = useTaskEnvironment({ email: 'outcome-rules@example.com', allowPrivateTargets: true, secretsKey, maxRetries: 3 });
const attempts = useAttemptContext(t);
const target = useFixture(startTargetServer, (server) => server.close());

let guarded: AttemptContext;
let guardedExecutor: Executor;
beforeAll(() => {
  // The address guard as deployed: the loopback target is refused before anything is sent.
  guardedExecutor = createExecutor({ responseBodyLimitBytes: 1024, userAgent: 'punctual/test' });
  guarded = { ...attempts, executor: guardedExecutor };
});
afterAll(async () => {
  await guardedExecutor.close();
});

async function taskRow(id: string) {
  return t.env.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function logsOf(id: string) {
  return t.env.db.selectFrom('task_logs').selectAll().where('task_id', '=', id).orderBy('started_at').execute();
}

async function notificationsOf(id: string) {
  // A run's email and callback are written in one transaction (the same created_at): the channel orders them.
  return t.env.db
    .selectFrom('notifications')
    .selectAll()
    .where('task_id', '=', id)
    .orderBy('created_at')
    .orderBy('channel', 'desc')
    .execute();
}

async function attemptNow(id: string, context: AttemptContext = attempts) {
  const row = await taskRow(id);
  return runAttempt(context, { taskId: id, runId: row.run_id, version: row.version });
}

async function taskFor(path: string, fields: Partial<CreateTaskInput> = {}) {
  return createTask(t.tasks, t.actor, { name: path, url: `${target().url}${path}`, ...fields });
}

describe('retryOn', () => {
  it('ends a one-off run after 1 attempt on a 400 with retryOn ["5xx"], and the log says why', async () => {
    const task = await taskFor('/status/400', {
      retryOn: ['5xx'],
      callbacks: { onFailure: `${target().url}/ok/failed-callback` },
    });

    const summary = await attemptNow(task.id);

    expect(summary).toMatchObject({ outcome: 'failed', status: 'failed', attempt: 1 });
    const row = await taskRow(task.id);
    const error = 'HTTP 400 (not retried: retryOn is 5xx)';
    expect(row).toMatchObject({ status: 'failed', attempts: 1, run_count: 1, next_run_at: null, last_error: error, last_status_code: 400 });
    const logs = await logsOf(task.id);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ outcome: 'failed', status_code: 400, error, next_retry_at: null });
    // A failure not retried is the run's final failure: the failure email and the onFailure callback say so.
    const notifications = await notificationsOf(task.id);
    expect(notifications.map((n) => [n.channel, n.event])).toEqual([
      ['email', 'run.failed'],
      ['callback', 'run.failed'],
    ]);
    expect(notifications[1]!.payload).toMatchObject({ type: 'run.failed', attempts: 1, statusCode: 400, error });
    expect(
      target()
        .hitsFor('/status/400')
        .filter((hit) => hit.path === '/status/400'),
    ).toHaveLength(1);
  });

  it('retries a failure retryOn lists, as before', async () => {
    const task = await taskFor('/status/503', { retryOn: ['5xx'], backoff: { type: 'fixed', delayMs: 60_000 } });

    expect(await attemptNow(task.id)).toMatchObject({ outcome: 'failed', status: 'retrying' });
    const [log] = await logsOf(task.id);
    expect(log).toMatchObject({ error: 'HTTP 503' });
    expect(log!.next_retry_at).not.toBeNull();
  });

  it('retries a 400 by default (retryOn "any")', async () => {
    const task = await taskFor('/status/400?default');

    expect(await attemptNow(task.id)).toMatchObject({ status: 'retrying' });
    expect((await logsOf(task.id))[0]).toMatchObject({ error: 'HTTP 400' });
  });

  it('ends the run of a recurring task, counts it failed and keeps the schedule', async () => {
    const task = await taskFor('/status/422', { cron: '0 0 * * *', retryOn: [429, 'network', 'timeout'] });
    const claimed = await taskRow(task.id);

    expect(await attemptNow(task.id)).toMatchObject({ outcome: 'failed', status: 'pending' });
    const row = await taskRow(task.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 0, run_count: 1, consecutive_failures: 1 });
    expect(row.run_id).not.toBe(claimed.run_id);
    expect(row.next_run_at!.getTime()).toBeGreaterThan(Date.now());
    expect((await logsOf(task.id))[0]).toMatchObject({
      run_id: claimed.run_id,
      error: 'HTTP 422 (not retried: retryOn is 429, network, timeout)',
    });
  });

  it('does not retry a blocked address under retryOn ["5xx", "network"], and retries it under "any"', async () => {
    const notRetried = await taskFor('/ok?blocked-5xx', { retryOn: ['5xx', 'network'] });
    const retried = await taskFor('/ok?blocked-any');

    expect(await attemptNow(notRetried.id, guarded)).toMatchObject({ outcome: 'failed', status: 'failed' });
    expect(await attemptNow(retried.id, guarded)).toMatchObject({ outcome: 'failed', status: 'retrying' });
    expect((await logsOf(notRetried.id))[0]!.error).toMatch(
      /^ERR_BLOCKED_ADDRESS blocked address 127\.0\.0\.1 \(loopback\) \(not retried: retryOn is 5xx, network\)$/,
    );
    expect(target().hits.filter((hit) => hit.query.startsWith('blocked-'))).toHaveLength(0);
  });

  it('retries a timeout only when retryOn lists it', async () => {
    const listed = await taskFor('/delay/5000?listed', { timeoutMs: 200, retryOn: ['timeout'] });
    const unlisted = await taskFor('/delay/5000?unlisted', { timeoutMs: 200, retryOn: ['network'] });

    expect(await attemptNow(listed.id)).toMatchObject({ status: 'retrying' });
    expect(await attemptNow(unlisted.id)).toMatchObject({ status: 'failed' });
    expect((await logsOf(unlisted.id))[0]!.error).toBe('timeout after 200 ms (not retried: retryOn is network)');
  });

  it('marks nothing on the last attempt: the run was over anyway', async () => {
    const task = await taskFor('/status/400?last', { retryOn: ['5xx'], maxRetries: 0 });

    expect(await attemptNow(task.id)).toMatchObject({ status: 'failed' });
    expect((await logsOf(task.id))[0]!.error).toBe('HTTP 400');
  });
});

describe('successCodes', () => {
  it('counts a 404 listed in successCodes as success: the one-off completes after 1 attempt', async () => {
    const task = await taskFor('/status/404', { successCodes: ['2xx', 404] });

    expect(await attemptNow(task.id)).toMatchObject({ outcome: 'succeeded', status: 'completed' });
    expect(await taskRow(task.id)).toMatchObject({ last_outcome: 'succeeded', last_status_code: 404, last_error: null });
    expect((await logsOf(task.id))[0]).toMatchObject({ outcome: 'succeeded', status_code: 404, error: null, response_body: 'status 404' });
  });

  it('fails a 200 when successCodes lists only other statuses', async () => {
    const task = await taskFor('/ok?only-204', { successCodes: [204], retryOn: ['5xx'] });

    expect(await attemptNow(task.id)).toMatchObject({ outcome: 'failed', status: 'failed' });
    expect((await logsOf(task.id))[0]).toMatchObject({ status_code: 200, error: 'HTTP 200 (not retried: retryOn is 5xx)' });
  });
});
