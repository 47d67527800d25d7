import { randomUUID } from 'node:crypto';
import { startSmtpSink, type SmtpSink } from '@punctual/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PunctualClient, sleep, useRunningStack, waitFor, workerIdOf, type Page } from './punctual-client.js';

// Outcome deliveries end to end: an API and two workers (real processes) with a real SMTP server (smtp-server) and a
// real callback target, both on loopback. The scenarios run one after another: one stops the SMTP server.

interface Notification {
  id: string;
  channel: 'email' | 'callback';
  event: string;
  to: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

const PUBLIC_URL = 'https://punctual.example.test';
let sink: SmtpSink;

beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink?.close();
});

describe('outcome deliveries', () => {
  const stack = useRunningStack({
    env: () => ({
      SMTP_URL: sink.url,
      EMAIL_FROM: 'punctual@example.test',
      PUBLIC_URL,
      RECONCILE_INTERVAL_MS: '500',
      LEASE_MARGIN_MS: '1000',
    }),
  });

  const register = (): Promise<PunctualClient> => PunctualClient.register(stack.api.url);
  const emailsTo = (address: string) => sink.messages.filter((message) => message.to.includes(address));

  async function notificationsOf(client: PunctualClient, taskId: string): Promise<Notification[]> {
    const response = await client.request<Page<Notification>>('GET', `/api/v1/tasks/${taskId}/notifications?limit=100`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body.data;
  }

  async function ownerEmail(client: PunctualClient): Promise<string> {
    const response = await client.request<{ email: string }>('GET', '/api/v1/auth/me');
    expect(response.status).toBe(200);
    return response.body.email;
  }

  it('emails each retried failure and the final one to the owner, once each, linking to the task', async () => {
    const client = await register();
    const owner = await ownerEmail(client);
    const task = await client.createTask({
      name: 'Nightly export',
      url: `${stack.target.url}/status/500/${randomUUID()}`,
      maxRetries: 1,
      notify: { onRetry: true },
    });

    await client.waitForStatus(task.id, 'failed');
    const emails = await sink.waitForMessages(2, 20_000).then(() =>
      waitFor(() => {
        const received = emailsTo(owner);
        expect(received).toHaveLength(2);
        return received;
      }),
    );
    const subjects = emails.map((email) => email.subject).sort();
    expect(subjects[0]).toMatch(/Nightly export/);
    for (const email of emails) {
      expect(email.from).toContain('punctual@example.test');
      expect(email.text).toContain(task.url);
      expect(email.text).toContain(`${PUBLIC_URL}/tasks/${task.id}`);
      expect(email.html).toContain(`${PUBLIC_URL}/tasks/${task.id}`);
    }
    const rows = await waitFor(async () => {
      const list = await notificationsOf(client, task.id);
      expect(list.map((row) => row.status)).toEqual(['sent', 'sent']);
      return list;
    });
    expect(rows.map((row) => [row.channel, row.event, row.to]).sort()).toEqual([
      ['email', 'attempt.retrying', owner],
      ['email', 'run.failed', owner],
    ]);
    // Nothing more arrives later: each event was delivered once.
    await sleep(1_500);
    expect(emailsTo(owner)).toHaveLength(2);
  });

  it('calls back onSuccess and onFailure, signed (verified with standardwebhooks), retrying a target that fails first', async () => {
    const client = await register();
    const secret = (await client.request<{ secret: string }>('GET', '/api/v1/auth/signing-secret')).body.secret;
    const key = randomUUID();
    const failurePath = `/flaky/2/${key}`;
    const successPath = `/echo/${key}`;
    const failing = await client.createTask({
      url: `${stack.target.url}/status/404/${key}`,
      maxRetries: 0,
      notify: { onFailure: false },
      callbacks: { onFailure: `${stack.target.url}${failurePath}` },
    });
    const succeeding = await client.createTask({
      url: `${stack.target.url}/ok/${key}`,
      callbacks: { onSuccess: `${stack.target.url}${successPath}` },
    });

    const [success] = await stack.target.waitForHits(1, { pathPrefix: successPath, timeoutMs: 20_000 });
    const failureHits = await stack.target.waitForHits(3, { pathPrefix: failurePath, timeoutMs: 30_000 });
    // The first retry comes within 10 s of the first try.
    expect(failureHits[1]!.receivedAt.getTime() - failureHits[0]!.receivedAt.getTime()).toBeLessThan(10_000);
    const verify = (hit: { body: string; headers: Record<string, string | string[] | undefined> }) =>
      new Webhook(secret).verify(hit.body, {
        'webhook-id': String(hit.headers['webhook-id']),
        'webhook-timestamp': String(hit.headers['webhook-timestamp']),
        'webhook-signature': String(hit.headers['webhook-signature']),
      }) as Record<string, unknown>;
    const succeeded = verify(success!);
    expect(succeeded).toMatchObject({ type: 'run.succeeded', taskId: succeeding.id, attempts: 1, statusCode: 200, error: null });
    expect(success!.headers['webhook-id']).toBe(`${String(succeeded.runId)}.run.succeeded`);
    const failed = verify(failureHits[2]!);
    expect(failed).toMatchObject({ type: 'run.failed', taskId: failing.id, statusCode: 404, error: 'HTTP 404' });
    // The retries were the same event: one webhook-id.
    expect(new Set(failureHits.map((hit) => hit.headers['webhook-id'])).size).toBe(1);

    const row = await waitFor(async () => {
      const [only] = await notificationsOf(client, failing.id);
      expect(only).toMatchObject({ channel: 'callback', event: 'run.failed', status: 'sent', attempts: 3 });
      return only!;
    });
    expect(row.lastError).toBeNull();
    expect(stack.target.hitsFor(failurePath)).toHaveLength(3);
  });

  it('never changes a task for a callback that keeps failing: the failure stays on the notification', async () => {
    // (A callback to a blocked address is refused by the guard in core's tests: this stack allows private targets.)
    const client = await register();
    const task = await client.createTask({
      url: `${stack.target.url}/ok/${randomUUID()}`,
      callbacks: { onSuccess: `${stack.target.url}/status/410/${randomUUID()}` },
    });
    const done = await client.waitForStatus(task.id, 'completed');
    expect(done.lastOutcome).toBe('succeeded');
    const [row] = await waitFor(async () => {
      const list = await notificationsOf(client, task.id);
      expect(list[0]?.lastError).toBe('HTTP 410');
      return list;
    });
    expect(row).toMatchObject({ status: 'pending', channel: 'callback' });
  });

  it('alerts once when a recurring task has failed N runs in a row, and once when it recovers', async () => {
    const client = await register();
    const owner = await ownerEmail(client);
    const task = await client.createTask({
      name: 'Every second',
      url: `${stack.target.url}/status/500/${randomUUID()}`,
      cron: '* * * * * *',
      maxRetries: 0,
      notify: { afterConsecutiveFailures: 3 },
    });
    await waitFor(async () => expect((await client.getTask(task.id)).runCount).toBeGreaterThanOrEqual(5), 20_000, 250);
    // An update waits for a moment between runs (a running task is a 409).
    const healthy = `${stack.target.url}/ok/${randomUUID()}`;
    await waitFor(async () => {
      const fixed = await client.request('PATCH', `/api/v1/tasks/${task.id}`, { url: healthy });
      expect(fixed.status, JSON.stringify(fixed.body)).toBe(200);
    });
    await waitFor(() => expect(emailsTo(owner)).toHaveLength(2), 20_000, 250);
    await client.request('POST', `/api/v1/tasks/${task.id}/pause`);

    const [alert, recovered] = emailsTo(owner);
    expect(alert!.subject).toMatch(/3 runs in a row failed/);
    expect(recovered!.subject).toMatch(/recovered/);
    const rows = await notificationsOf(client, task.id);
    expect(rows.map((row) => row.event).sort()).toEqual(['task.failing', 'task.recovered']);
    // Later successes send nothing more.
    await sleep(1_500);
    expect(emailsTo(owner)).toHaveLength(2);
  });

  it('keeps emails while the SMTP server is down without delaying the task, and sends them once it is back', async () => {
    const client = await register();
    const owner = await ownerEmail(client);
    await sink.stop();
    const started = Date.now();
    const task = await client.createTask({ url: `${stack.target.url}/status/500/${randomUUID()}`, maxRetries: 0 });

    await client.waitForStatus(task.id, 'failed', 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    const pending = await waitFor(async () => {
      const [row] = await notificationsOf(client, task.id);
      expect(row).toMatchObject({ channel: 'email', status: 'pending' });
      expect(row!.lastError).toBeTruthy();
      return row!;
    }, 20_000);
    expect(pending.attempts).toBeGreaterThanOrEqual(1);

    await sink.start();
    await waitFor(() => expect(emailsTo(owner)).toHaveLength(1), 40_000, 250);
    await waitFor(async () => expect((await notificationsOf(client, task.id))[0]!.status).toBe('sent'));
    await sleep(1_000);
    expect(emailsTo(owner)).toHaveLength(1);
  });

  it('sends one failure email for an attempt whose worker was killed, however the jobs are retried', async () => {
    const client = await register();
    const owner = await ownerEmail(client);
    const path = `/delay/4000/${randomUUID()}`;
    const task = await client.createTask({ url: `${stack.target.url}${path}`, maxRetries: 0, timeoutMs: 6_000 });
    await stack.target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });
    // The worker holding the attempt: its log row is open (the API lists finished attempts only).
    const open = await stack.environment.db
      .selectFrom('task_logs')
      .select('worker_id')
      .where('task_id', '=', task.id)
      .where('outcome', 'is', null)
      .executeTakeFirstOrThrow();
    const victim = stack.workers.findIndex((worker) => workerIdOf(worker) === open.worker_id);
    expect(victim).toBeGreaterThanOrEqual(0);
    // Killed, and out of the stack, whose teardown expects each process to exit cleanly.
    const [killed] = stack.workers.splice(victim, 1);
    await killed!.kill();

    const failed = await client.waitForStatus(task.id, 'failed', 30_000);
    expect(failed.lastError).toBe('worker lost');
    await waitFor(() => expect(emailsTo(owner)).toHaveLength(1), 20_000, 250);
    const [row] = await notificationsOf(client, task.id);
    expect(row).toMatchObject({ event: 'run.failed', status: 'sent' });
    // The delivery's job queued again (a retried or repaired job): the event is not sent twice.
    const backend = await stack.environment.createQueueBackend();
    try {
      await backend.notifications.enqueueDeliveries([row!.id]);
      await waitFor(async () => expect(await backend.notifications.queue.getJobState(row!.id)).toMatch(/completed|unknown/));
    } finally {
      await backend.close();
    }
    await sleep(1_000);
    expect(emailsTo(owner)).toHaveLength(1);
    expect((await notificationsOf(client, task.id))[0]).toMatchObject({ status: 'sent', attempts: 1 });
  }, 90_000);

  it('re-drives the failed tasks of a window: dryRun counts, then each runs again as retry does', async () => {
    const client = await register();
    const key = randomUUID();
    const tasks = await Promise.all(
      [1, 2].map((n) =>
        client.createTask({
          url: `${stack.target.url}/flaky/1/${key}-${n}`,
          maxRetries: 0,
          tags: ['redrive'],
          notify: { onFailure: false },
        }),
      ),
    );
    for (const task of tasks) await client.waitForStatus(task.id, 'failed');
    const since = new Date(Date.now() - 60_000).toISOString();

    const dry = await client.request('POST', '/api/v1/tasks/retry-failed', { tag: 'redrive', since, dryRun: true });
    expect(dry.status, JSON.stringify(dry.body)).toBe(200);
    expect(dry.body).toEqual({ matched: 2, retried: 2 });
    for (const task of tasks) expect((await client.getTask(task.id)).status).toBe('failed');

    const done = await client.request('POST', '/api/v1/tasks/retry-failed', { tag: 'redrive', since });
    expect(done.body).toEqual({ matched: 2, retried: 2 });
    for (const task of tasks) expect((await client.waitForStatus(task.id, 'completed')).runCount).toBe(2);
    const again = await client.request('POST', '/api/v1/tasks/retry-failed', { tag: 'redrive', since });
    expect(again.body).toEqual({ matched: 0, retried: 0 });
  });

  it("answers 404 for another user's task's notifications", async () => {
    const [owner, other] = await Promise.all([register(), register()]);
    const task = await owner.createTask({ url: `${stack.target.url}/ok/${randomUUID()}` });
    const response = await other.request('GET', `/api/v1/tasks/${task.id}/notifications`);
    expect(response.status).toBe(404);
  });
});
