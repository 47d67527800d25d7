import { randomBytes } from 'node:crypto';
import {
  createTask,
  deliverNotification,
  DeliveryRetryError,
  getSigningSecret,
  NO_SMTP_ERROR,
  recoverLostAttempts,
  repairDeliveries,
  runAttempt,
  WORKER_LOST,
  type AttemptContext,
  type DeliveryContext,
} from '@punctual/core';
import { claimAttempt, createAttemptWriter, type CallbacksColumn, type NotifyColumn } from '@punctual/db';
import { createExecutor, type Executor } from '@punctual/executor';
import { startTargetServer, useFixture, useTaskEnvironment } from '@punctual/testing';
import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useAttemptContext } from './attempt-context.js';

const OWNER = 'deliveries@example.com';
const secretsKey = randomBytes(32);
const t = useTaskEnvironment({ email: OWNER, allowPrivateTargets: true, secretsKey, maxRetries: 0 });
const attemptsWithoutSmtp = useAttemptContext(t);
const target = useFixture(startTargetServer, (server) => server.close());
const silent = { warn: () => {} };

let attempts: AttemptContext;
let deliveries: DeliveryContext;
let guardedExecutor: Executor;
let roomyExecutor: Executor;

beforeAll(() => {
  attempts = { ...attemptsWithoutSmtp, notifications: { emailEnabled: true, queue: t.backend.notifications } };
  deliveries = { db: t.env.db, executor: attemptsWithoutSmtp.executor, mailer: null, publicUrl: null, secretsKey, logger: silent };
  // The guard as deployed: loopback refused before any connection is made.
  guardedExecutor = createExecutor({ responseBodyLimitBytes: 1024, userAgent: 'punctual/test', allowPrivateTargets: false });
  roomyExecutor = createExecutor({ responseBodyLimitBytes: 65_536, userAgent: 'punctual/test', allowPrivateTargets: true });
});
afterAll(async () => {
  await Promise.all([guardedExecutor.close(), roomyExecutor.close()]);
});
beforeEach(async () => {
  await t.env.db.deleteFrom('tasks').execute();
  // Notifications outlive their tasks: each test starts without any.
  await t.env.db.deleteFrom('notifications').execute();
  await t.backend.notifications.queue.obliterate({ force: true });
});

async function taskRow(id: string) {
  return t.env.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function notificationsOf(taskId: string) {
  return t.env.db
    .selectFrom('notifications')
    .selectAll()
    .where('task_id', '=', taskId)
    .orderBy('created_at')
    .orderBy('channel')
    .orderBy('event')
    .execute();
}

/** A task with the given delivery settings, set on its row (as the API stores them). */
async function taskWith(options: { path: string; notify?: NotifyColumn; callbacks?: CallbacksColumn; cron?: string; maxRetries?: number }) {
  const task = await createTask(t.tasks, t.actor, {
    name: 'Nightly export',
    url: `${target().url}${options.path}`,
    ...(options.cron ? { cron: options.cron } : {}),
    maxRetries: options.maxRetries ?? 0,
    backoff: { delayMs: 1_000 },
  });
  await t.updateTask(task.id, {
    notify: JSON.stringify(options.notify ?? { onFailure: true, onRetry: false }),
    callbacks: options.callbacks ? JSON.stringify(options.callbacks) : null,
  });
  return task;
}

/** Runs the task's next attempt now, whatever its due time. */
async function attemptNow(id: string, context: AttemptContext = attempts) {
  const row = await taskRow(id);
  return runAttempt(context, { taskId: id, version: row.version });
}

function deliveryJob(notificationId: string, attemptsMade = 0) {
  return { notificationId, attemptsMade, maxAttempts: 40 };
}

describe('notifications written with the attempt record', () => {
  it("writes the failure email to the owner and the onFailure callback, and queues both deliveries by the row's id", async () => {
    const task = await taskWith({
      path: '/status/500',
      callbacks: { onSuccess: `${target().url}/ok/success`, onFailure: `${target().url}/ok/failure` },
    });

    const { run_id: runId } = await taskRow(task.id);
    expect(await attemptNow(task.id)).toMatchObject({ outcome: 'failed', status: 'failed' });

    const rows = await notificationsOf(task.id);
    expect(rows.map((row) => [row.channel, row.event, row.recipient, row.status])).toEqual([
      ['callback', 'run.failed', `${target().url}/ok/failure`, 'pending'],
      ['email', 'run.failed', OWNER, 'pending'],
    ]);
    const callback = rows.find((row) => row.channel === 'callback')!;
    expect(callback.payload).toEqual({
      type: 'run.failed',
      taskId: task.id,
      runId,
      attempts: 1,
      statusCode: 500,
      durationMs: expect.any(Number) as number,
      error: 'HTTP 500',
      responseBody: 'status 500',
      finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
    });
    const email = rows.find((row) => row.channel === 'email')!;
    expect(email.payload).toMatchObject({ event: 'run.failed', taskName: 'Nightly export', attempt: 1, maxAttempts: 1, statusCode: 500 });
    const jobs = await t.backend.notifications.queue.getJobs(['wait', 'delayed', 'active']);
    expect(jobs.map((job) => job.id).sort()).toEqual(rows.map((row) => row.id).sort());
    expect(jobs.map((job) => job.data as unknown)).toContainEqual({ notificationId: email.id });
  });

  it('emails each retried failure with onRetry, and the final failure to notify.email', async () => {
    const task = await taskWith({
      path: '/status/503',
      maxRetries: 1,
      notify: { onFailure: true, onRetry: true, email: 'ops@example.com' },
    });

    await attemptNow(task.id);
    const [retrying] = await notificationsOf(task.id);
    expect(retrying).toMatchObject({ channel: 'email', event: 'attempt.retrying', recipient: 'ops@example.com', attempt: 1 });
    const { next_run_at: nextRunAt } = await taskRow(task.id);
    expect((retrying!.payload as { nextRetryAt: string }).nextRetryAt).toBe(nextRunAt!.toISOString());

    await attemptNow(task.id);
    const rows = await notificationsOf(task.id);
    expect(rows.map((row) => `${row.event}#${row.attempt}`)).toEqual(['attempt.retrying#1', 'run.failed#2']);
  });

  it('emails the retries of a run again after reset-retries, whose attempt numbers come round again', async () => {
    const task = await taskWith({ path: '/status/503', maxRetries: 2, notify: { onFailure: true, onRetry: true } });

    await attemptNow(task.id);
    await t.updateTask(task.id, { attempts: 0 });
    await attemptNow(task.id);

    const rows = await notificationsOf(task.id);
    expect(rows.map((row) => `${row.event}#${row.attempt}`)).toEqual(['attempt.retrying#1', 'attempt.retrying#1']);
    expect(new Set(rows.map((row) => row.log_id)).size).toBe(2);
  });

  it('records emails as failed, with the reason and no job, when the worker has no SMTP server', async () => {
    const task = await taskWith({ path: '/status/500', callbacks: { onFailure: `${target().url}/ok/cb` } });

    await attemptNow(task.id, attemptsWithoutSmtp);

    const rows = await notificationsOf(task.id);
    expect(rows.map((row) => [row.channel, row.status, row.last_error])).toEqual([
      ['callback', 'pending', null],
      ['email', 'failed', NO_SMTP_ERROR],
    ]);
    const jobs = await t.backend.notifications.queue.getJobs(['wait', 'delayed', 'active']);
    expect(jobs.map((job) => job.id)).toEqual([rows[0]!.id]);
  });

  it('calls back onSuccess with the first 4 KiB of the response body, and writes nothing else', async () => {
    const task = await taskWith({ path: '/big/10000', callbacks: { onSuccess: `${target().url}/ok/cb` } });

    // The attempt keeps 64 KiB of the response; the callback carries 4 KiB of it.
    expect(await attemptNow(task.id, { ...attempts, executor: roomyExecutor })).toMatchObject({ outcome: 'succeeded' });

    const rows = await notificationsOf(task.id);
    expect(rows.map((row) => [row.channel, row.event])).toEqual([['callback', 'run.succeeded']]);
    const payload = rows[0]!.payload as { responseBody: string; statusCode: number; error: null };
    expect(payload).toMatchObject({ statusCode: 200, error: null });
    expect(Buffer.byteLength(payload.responseBody)).toBe(4096);
  });

  it('writes the notifications of a group-committed batch for the attempts that have any, and moves every task', async () => {
    const writer = createAttemptWriter(t.env.db, { workerId: 'test-worker:1', leaseMarginMs: 30_000 });
    const tasks = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        taskWith({ path: '/ok', ...(index % 3 === 0 ? { callbacks: { onSuccess: `${target().url}/ok/cb-${index}` } } : {}) }),
      ),
    );

    await Promise.all(tasks.map((task) => attemptNow(task.id, { ...attempts, writer })));

    for (const [index, task] of tasks.entries()) {
      expect((await taskRow(task.id)).status).toBe('completed');
      const rows = await notificationsOf(task.id);
      expect(rows.map((row) => row.recipient)).toEqual(index % 3 === 0 ? [`${target().url}/ok/cb-${index}`] : []);
    }
  });

  it('writes nothing for a success without callbacks, the usual case', async () => {
    const task = await taskWith({ path: '/ok' });
    await attemptNow(task.id);
    expect(await notificationsOf(task.id)).toEqual([]);
  });

  it('alerts once when a recurring task has failed N runs in a row, and once when it recovers', async () => {
    const task = await taskWith({
      path: '/status/500',
      cron: '0 3 * * *',
      notify: { onFailure: true, onRetry: false, afterConsecutiveFailures: 2 },
    });

    for (let run = 1; run <= 4; run += 1) await attemptNow(task.id);
    expect((await taskRow(task.id)).consecutive_failures).toBe(4);
    await t.updateTask(task.id, { url: `${target().url}/ok` });
    await attemptNow(task.id);
    await attemptNow(task.id);

    const rows = await notificationsOf(task.id);
    expect(rows.map((row) => row.event)).toEqual(['task.failing', 'task.recovered']);
    expect(rows.map((row) => (row.payload as { consecutiveFailures: number }).consecutiveFailures)).toEqual([2, 4]);
    expect((await taskRow(task.id)).consecutive_failures).toBe(0);
  });

  it('notifies the failure of an attempt whose worker was lost, when the reconciler closes it', async () => {
    const task = await taskWith({ path: '/ok', callbacks: { onFailure: `${target().url}/ok/cb` } });
    const row = await taskRow(task.id);
    expect(await claimAttempt(t.env.db, { taskId: task.id, version: row.version, workerId: 'dead:1', leaseMarginMs: 0 })).not.toBeNull();
    await t.updateTask(task.id, { lease_expires_at: new Date(Date.now() - 1_000) });

    const reconciler = { db: t.env.db, queue: t.queue, logger: silent, notifications: attempts.notifications };
    expect(await recoverLostAttempts(reconciler, { limit: 10 })).toBe(1);

    const rows = await notificationsOf(task.id);
    expect(rows.map((one) => [one.channel, one.event, (one.payload as { error: string }).error])).toEqual([
      ['callback', 'run.failed', WORKER_LOST],
      ['email', 'run.failed', WORKER_LOST],
    ]);
    const jobs = await t.backend.notifications.queue.getJobs(['wait', 'delayed', 'active']);
    expect(jobs).toHaveLength(2);
  });
});

describe('deliverNotification', () => {
  /** A failed task whose onFailure callback goes to `path`; returns its callback's notification row. */
  async function failedWithCallback(path: string) {
    const task = await taskWith({ path: '/status/500', callbacks: { onFailure: `${target().url}${path}` } });
    await attemptNow(task.id, attemptsWithoutSmtp);
    return (await notificationsOf(task.id)).find((row) => row.channel === 'callback')!;
  }

  it('POSTs the callback signed by the owner (verified with standardwebhooks), once however often its job runs', async () => {
    const path = `/echo/${randomBytes(4).toString('hex')}`;
    const notification = await failedWithCallback(path);

    expect(await deliverNotification(deliveries, deliveryJob(notification.id))).toBe('sent');
    expect(await deliverNotification(deliveries, deliveryJob(notification.id, 1))).toBe('skipped');

    const hits = target().hitsFor(path);
    expect(hits).toHaveLength(1);
    const [hit] = hits;
    expect(hit!.method).toBe('POST');
    expect(hit!.headers['webhook-id']).toBe(`${notification.run_id}.run.failed`);
    expect(hit!.headers['content-type']).toBe('application/json');
    const { secret } = await getSigningSecret({ db: t.env.db, keys: { current: secretsKey } }, t.actor.userId);
    const verified = new Webhook(secret).verify(hit!.body, {
      'webhook-id': String(hit!.headers['webhook-id']),
      'webhook-timestamp': String(hit!.headers['webhook-timestamp']),
      'webhook-signature': String(hit!.headers['webhook-signature']),
    });
    expect(verified).toEqual(notification.payload);
    const row = await t.env.db.selectFrom('notifications').selectAll().where('id', '=', notification.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'sent', attempts: 1, last_error: null, locked_until: null });
    expect(row.sent_at).toBeInstanceOf(Date);
  });

  it('retries a callback target that fails, keeping its error, and delivers when it answers', async () => {
    const path = `/flaky/1/${randomBytes(4).toString('hex')}`;
    const notification = await failedWithCallback(path);

    await expect(deliverNotification(deliveries, deliveryJob(notification.id))).rejects.toThrow(DeliveryRetryError);
    const failed = await t.env.db.selectFrom('notifications').selectAll().where('id', '=', notification.id).executeTakeFirstOrThrow();
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, last_error: 'HTTP 503', locked_until: null });

    expect(await deliverNotification(deliveries, deliveryJob(notification.id, 1))).toBe('sent');
    expect(target().hitsFor(path)).toHaveLength(2);
  });

  it('ends a callback to a blocked address as failed at once, without connecting', async () => {
    const path = `/ok/${randomBytes(4).toString('hex')}`;
    const notification = await failedWithCallback(path);

    expect(await deliverNotification({ ...deliveries, executor: guardedExecutor }, deliveryJob(notification.id))).toBe('failed');

    const row = await t.env.db.selectFrom('notifications').selectAll().where('id', '=', notification.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(row.last_error).toMatch(/^ERR_BLOCKED_ADDRESS blocked address 127\.0\.0\.1 \(loopback\)/);
    expect(target().hitsFor(path)).toHaveLength(0);
  });

  it('gives up when the next try would fall more than 24 h after the event', async () => {
    const notification = await failedWithCallback('/status/502');
    await t.env.db
      .updateTable('notifications')
      .set({ created_at: sql`now() - interval '24 hours' + interval '2 seconds'` })
      .where('id', '=', notification.id)
      .execute();

    expect(await deliverNotification(deliveries, deliveryJob(notification.id, 3))).toBe('failed');
    const row = await t.env.db.selectFrom('notifications').selectAll().where('id', '=', notification.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'failed', last_error: 'HTTP 502' });
  });

  it('leaves a notification another worker holds to it, and one that is gone', async () => {
    const notification = await failedWithCallback('/ok');
    await t.env.db
      .updateTable('notifications')
      .set({ locked_until: sql`now() + interval '1 minute'` })
      .where('id', '=', notification.id)
      .execute();
    await expect(deliverNotification(deliveries, deliveryJob(notification.id))).rejects.toThrow(/another worker/);
    await t.env.db.deleteFrom('notifications').where('id', '=', notification.id).execute();
    expect(await deliverNotification(deliveries, deliveryJob(notification.id))).toBe('skipped');
  });

  it('still delivers the callback of a task deleted right after its run', async () => {
    const path = `/ok/${randomBytes(4).toString('hex')}`;
    const notification = await failedWithCallback(path);
    await t.env.db.deleteFrom('tasks').where('id', '=', notification.task_id).execute();

    expect(await deliverNotification(deliveries, deliveryJob(notification.id))).toBe('sent');
    expect(target().hitsFor(path)).toHaveLength(1);
  });
});

describe('repairDeliveries', () => {
  it('puts back the jobs of pending notifications the queue lost, and leaves sent and failed ones alone', async () => {
    const failing = await taskWith({ path: '/status/500', callbacks: { onFailure: `${target().url}/ok/cb` } });
    await attemptNow(failing.id, attemptsWithoutSmtp);
    const [pending, failedEmail] = await notificationsOf(failing.id);
    const succeeding = await taskWith({ path: '/ok', callbacks: { onSuccess: `${target().url}/ok/cb` } });
    await attemptNow(succeeding.id);
    const [sent] = await notificationsOf(succeeding.id);
    expect(await deliverNotification(deliveries, deliveryJob(sent!.id))).toBe('sent');
    await t.backend.notifications.queue.obliterate({ force: true });

    const queue = t.backend.notifications;
    expect(await repairDeliveries({ db: t.env.db, queue }, { batchSize: 1, maxBatches: 10 })).toEqual({ checked: 1, enqueued: 1 });
    const jobs = await queue.queue.getJobs(['wait', 'delayed', 'active']);
    expect(jobs.map((job) => job.id)).toEqual([pending!.id]);
    expect(failedEmail!.status).toBe('failed');
    expect(await repairDeliveries({ db: t.env.db, queue }, { batchSize: 10, maxBatches: 10 })).toEqual({ checked: 1, enqueued: 0 });
  });
});
