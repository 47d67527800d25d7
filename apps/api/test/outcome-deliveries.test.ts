import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from './credentials-fixtures.js';
import {
  authed,
  countTasks,
  createTask,
  copyableTaskRow,
  createTestApp,
  register,
  taskBody,
  type Page,
  type Session,
  type TaskResponse,
  type TestApp,
  useTestApp,
  expectRefused,
} from './test-app.js';

const ADMIN_EMAIL = 'admin@example.com';
const ADMIN_PASSWORD = 'admin-password-123';
/** The one domain besides the owner's own address that notify.email may name here. */
const ALLOWED_DOMAIN = 'ops.example.org';

const t = useTestApp({
  users: ['alice', 'bob'],
  admin: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
  env: { NOTIFY_EMAIL_DOMAINS: ALLOWED_DOMAIN.toUpperCase() },
});
const { alice, bob } = t.users;
const admin = t.admin;

const HOUR = 3_600_000;
const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();

function send(method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, token: string, payload?: unknown) {
  return t.api.app.inject({ method, url, headers: authed(token), ...(payload === undefined ? {} : { payload: payload as object }) });
}

async function taskRow(id: string) {
  return t.env.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

describe('callbacks', () => {
  it('are stored normalized and returned; a task without them shows {}', async () => {
    const task = await createTask(t.api.app, alice.token, {
      callbacks: { onSuccess: 'HTTPS://Hooks.Example.COM:443/ok', onFailure: 'http:hooks.example.com/failed' },
    });
    const callbacks = { onSuccess: 'https://hooks.example.com/ok', onFailure: 'http://hooks.example.com/failed' };
    expect(task.callbacks).toEqual(callbacks);
    expect((await taskRow(task.id)).callbacks).toEqual(callbacks);
    expect((await send('GET', `/api/v1/tasks/${task.id}`, alice.token)).json<TaskResponse>().callbacks).toEqual(callbacks);

    const plain = await createTask(t.api.app, alice.token);
    expect(plain.callbacks).toEqual({});
    expect((await taskRow(plain.id)).callbacks).toBeNull();
  });

  it('are allowed on a recurring task', async () => {
    const task = await createTask(t.api.app, alice.token, { cron: '0 * * * *', callbacks: { onFailure: 'https://hooks.example.com/f' } });
    expect(task.callbacks).toEqual({ onFailure: 'https://hooks.example.com/f' });
  });

  it('are replaced as a whole by an update, and cleared by null or {}', async () => {
    const task = await createTask(t.api.app, alice.token, {
      scheduledAt: inFuture(HOUR),
      callbacks: { onSuccess: 'https://hooks.example.com/ok', onFailure: 'https://hooks.example.com/failed' },
    });

    const replaced = await send('PATCH', `/api/v1/tasks/${task.id}`, alice.token, {
      callbacks: { onFailure: 'https://other.example.com/' },
    });
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect(replaced.json<TaskResponse>().callbacks).toEqual({ onFailure: 'https://other.example.com/' });

    // An update of other fields keeps them.
    const renamed = await send('PATCH', `/api/v1/tasks/${task.id}`, alice.token, { name: 'renamed' });
    expect(renamed.json<TaskResponse>().callbacks).toEqual({ onFailure: 'https://other.example.com/' });

    for (const cleared of [null, {}]) {
      await send('PATCH', `/api/v1/tasks/${task.id}`, alice.token, { callbacks: { onSuccess: 'https://hooks.example.com/ok' } });
      const response = await send('PATCH', `/api/v1/tasks/${task.id}`, alice.token, { callbacks: cleared });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<TaskResponse>().callbacks).toEqual({});
      expect((await taskRow(task.id)).callbacks).toBeNull();
    }
  });

  it.each([
    ['a private IP literal', { onFailure: 'http://10.0.0.7/hook' }, 'body/callbacks/onFailure'],
    ['loopback in another spelling', { onSuccess: 'http://127.1/hook' }, 'body/callbacks/onSuccess'],
    ['credentials', { onSuccess: 'https://user:secret@hooks.example.com/' }, 'body/callbacks/onSuccess'],
    ['another scheme', { onFailure: 'ftp://hooks.example.com/' }, 'body/callbacks/onFailure'],
    ['no URL at all', { onSuccess: 'not a url' }, 'body/callbacks/onSuccess'],
    ['a URL over 2048 characters', { onSuccess: `https://hooks.example.com/${'a'.repeat(2040)}` }, 'body/callbacks/onSuccess'],
    ['an unknown event', { onDone: 'https://hooks.example.com/' }, 'body/callbacks/onDone'],
  ])('with %s: 400 naming the field, nothing created or changed', async (_name, callbacks, field) => {
    const before = await countTasks(t.env.db);
    expectRefused(await send('POST', '/api/v1/tasks', alice.token, taskBody({ callbacks })), field);
    expect(await countTasks(t.env.db)).toBe(before);

    const task = await createTask(t.api.app, alice.token, {
      scheduledAt: inFuture(HOUR),
      callbacks: { onSuccess: 'https://kept.example.com/' },
    });
    const row = await taskRow(task.id);
    expectRefused(await send('PATCH', `/api/v1/tasks/${task.id}`, alice.token, { callbacks }), field);
    expect(await taskRow(task.id)).toEqual(row);
  });

  it('are part of an idempotent create: the same body replays, other callbacks are a 409', async () => {
    const key = randomUUID();
    const body = taskBody({ callbacks: { onSuccess: 'https://hooks.example.com/ok' } });
    const post = (payload: object) =>
      t.api.app.inject({ method: 'POST', url: '/api/v1/tasks', headers: { ...authed(alice.token), 'idempotency-key': key }, payload });
    const first = await post(body);
    expect(first.statusCode, first.body).toBe(201);
    const replay = await post(body);
    expect(replay.statusCode, replay.body).toBe(200);
    expect(replay.json<TaskResponse>()).toEqual(first.json());
    expect((await post(taskBody({ callbacks: { onSuccess: 'https://hooks.example.com/other' } }))).statusCode).toBe(409);
  });
});

describe('notify.email: the owner or an allowed domain, never an open relay', () => {
  it.each([
    ["the owner's own address, in another case", () => alice.user.email.toUpperCase()],
    ['an address in NOTIFY_EMAIL_DOMAINS (any case)', () => `pager@${ALLOWED_DOMAIN.toUpperCase()}`],
  ])('accepts %s', async (_name, email) => {
    const task = await createTask(t.api.app, alice.token, { notify: { email: email() } });
    expect(task.notify).toEqual({ onFailure: true, onRetry: false, email: email() });
  });

  it.each([
    ['another domain', 'someone@elsewhere.example.net'],
    ["another address at the owner's domain", 'colleague@example.com'],
    ['a subdomain of an allowed domain', `pager@eu.${ALLOWED_DOMAIN}`],
  ])('refuses %s with a 400 saying why, creating nothing', async (_name, email) => {
    const before = await countTasks(t.env.db);
    const message = expectRefused(await send('POST', '/api/v1/tasks', alice.token, taskBody({ notify: { email } })), 'body/notify/email');
    expect(message).toMatch(/open mail relay.*ask an admin to add the domain/);
    expect(await countTasks(t.env.db)).toBe(before);
  });

  it("refuses it on a user's update, leaving the task unchanged", async () => {
    const task = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });
    const row = await taskRow(task.id);
    expectRefused(
      await send('PATCH', `/api/v1/tasks/${task.id}`, alice.token, { notify: { email: 'x@elsewhere.example.net' } }),
      'body/notify/email',
    );
    expect(await taskRow(task.id)).toEqual(row);
  });

  it("checks an admin's update of a user's task against the owner's email, not the admin's", async () => {
    const task = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });
    expectRefused(await send('PATCH', `/api/v1/tasks/${task.id}`, admin.token, { notify: { email: ADMIN_EMAIL } }), 'body/notify/email');
    const response = await send('PATCH', `/api/v1/tasks/${task.id}`, admin.token, { notify: { email: alice.user.email } });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<TaskResponse>().notify.email).toBe(alice.user.email);
  });

  it("goes back to the owner's email when an update sets it to null; an update that leaves it out keeps it", async () => {
    const task = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR), notify: { email: alice.user.email } });

    const kept = await send('PATCH', `/api/v1/tasks/${task.id}`, alice.token, { notify: { onRetry: true } });
    expect(kept.statusCode, kept.body).toBe(200);
    expect(kept.json<TaskResponse>().notify).toEqual({ onFailure: true, onRetry: true, email: alice.user.email });

    const cleared = await send('PATCH', `/api/v1/tasks/${task.id}`, alice.token, { notify: { email: null } });
    expect(cleared.statusCode, cleared.body).toBe(200);
    expect(cleared.json<TaskResponse>().notify).toEqual({ onFailure: true, onRetry: true });
    expect((await taskRow(task.id)).notify).toEqual({ onFailure: true, onRetry: true });
  });

  it('refuses null for the email on create (400 naming it)', async () => {
    expectRefused(await send('POST', '/api/v1/tasks', alice.token, taskBody({ notify: { email: null } })), 'body/notify/email');
  });
});

describe('notify.afterConsecutiveFailures', () => {
  it('is taken by a recurring task', async () => {
    const task = await createTask(t.api.app, alice.token, { cron: '*/5 * * * *', notify: { afterConsecutiveFailures: 3 } });
    expect(task.notify).toEqual({ onFailure: true, onRetry: false, afterConsecutiveFailures: 3 });
  });

  it('is refused on a one-off task (400 naming it), creating nothing', async () => {
    const before = await countTasks(t.env.db);
    expectRefused(
      await send('POST', '/api/v1/tasks', alice.token, taskBody({ notify: { afterConsecutiveFailures: 3 } })),
      'body/notify/afterConsecutiveFailures',
    );
    expect(await countTasks(t.env.db)).toBe(before);
  });

  it.each([0, 1001, 2.5])('is refused out of 1..1000 (%s)', async (value) => {
    expectRefused(
      await send('POST', '/api/v1/tasks', alice.token, taskBody({ cron: '0 * * * *', notify: { afterConsecutiveFailures: value } })),
      'body/notify/afterConsecutiveFailures',
    );
  });

  it('keeps an update from making the task one-off while it is set; null in the same update removes it', async () => {
    const task = await createTask(t.api.app, alice.token, { cron: '0 * * * *', notify: { afterConsecutiveFailures: 2 } });
    const row = await taskRow(task.id);
    const oneOff = { cron: null, scheduledAt: inFuture(HOUR) };
    expectRefused(await send('PATCH', `/api/v1/tasks/${task.id}`, alice.token, oneOff), 'body/notify/afterConsecutiveFailures');
    expect(await taskRow(task.id)).toEqual(row);

    const response = await send('PATCH', `/api/v1/tasks/${task.id}`, alice.token, {
      ...oneOff,
      notify: { afterConsecutiveFailures: null },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<TaskResponse>()).toMatchObject({ cron: null, notify: { onFailure: true, onRetry: false } });
    expect(response.json<TaskResponse>().notify).not.toHaveProperty('afterConsecutiveFailures');
  });

  it('is refused when added to a one-off task by an update', async () => {
    const task = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });
    expectRefused(
      await send('PATCH', `/api/v1/tasks/${task.id}`, alice.token, { notify: { afterConsecutiveFailures: 5 } }),
      'body/notify/afterConsecutiveFailures',
    );
  });
});

interface NotificationItem {
  id: string;
  channel: string;
  event: string;
  to: string;
  status: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

describe('GET /api/v1/tasks/:id/notifications', () => {
  let task: TaskResponse;
  /** The rows inserted for `task`, newest first (ties by id, descending). */
  let expected: { id: string; createdAt: Date }[];
  const base = Date.parse('2026-11-20T10:00:00.000Z');

  beforeAll(async () => {
    task = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });
    const other = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });
    const runId = randomUUID();
    // 25 rows a minute apart, the last two at the same instant (ordered by id), and one of another task.
    const rows = Array.from({ length: 25 }, (_, i) => ({
      id: randomUUID(),
      task_id: task.id,
      user_id: alice.user.id,
      run_id: runId,
      attempt: i + 1,
      log_id: randomUUID(),
      channel: i % 2 === 0 ? ('email' as const) : ('callback' as const),
      event: i % 2 === 0 ? 'run.failed' : 'run.succeeded',
      recipient: i % 2 === 0 ? alice.user.email : 'https://hooks.example.com/ok',
      payload: JSON.stringify({ n: i }),
      status: i === 0 ? ('failed' as const) : ('sent' as const),
      attempts: i === 0 ? 3 : 1,
      last_error: i === 0 ? 'connect ECONNREFUSED' : null,
      created_at: new Date(base + Math.min(i, 23) * 60_000),
      sent_at: i === 0 ? null : new Date(base + Math.min(i, 23) * 60_000 + 500),
    }));
    await t.env.db
      .insertInto('notifications')
      .values([...rows, { ...rows[1]!, id: randomUUID(), task_id: other.id, attempt: 99, log_id: randomUUID() }])
      .execute();
    expected = rows
      .map((row) => ({ id: row.id, createdAt: row.created_at }))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
  });

  const list = (token: string, query = '', id = task.id) => send('GET', `/api/v1/tasks/${id}/notifications${query}`, token);

  it('pages the task’s deliveries newest first, ties by id, with the total', async () => {
    const first = await list(alice.token, '?limit=10');
    expect(first.statusCode, first.body).toBe(200);
    const page = first.json<Page<NotificationItem>>();
    expect(page).toMatchObject({ page: 1, limit: 10, total: 25 });
    expect(page.data.map((item) => item.id)).toEqual(expected.slice(0, 10).map((row) => row.id));

    const last = (await list(alice.token, '?limit=10&page=3')).json<Page<NotificationItem>>();
    expect(last.data.map((item) => item.id)).toEqual(expected.slice(20).map((row) => row.id));
    expect((await list(alice.token)).json<Page<NotificationItem>>()).toMatchObject({ page: 1, limit: 20, total: 25 });
  });

  it('shows each item in the contract’s shape (`to` is the recipient, never the payload)', async () => {
    const { data } = (await list(alice.token, '?limit=100')).json<Page<NotificationItem>>();
    const oldest = data.at(-1)!;
    expect(oldest).toEqual({
      id: expected.at(-1)!.id,
      channel: 'email',
      event: 'run.failed',
      to: alice.user.email,
      status: 'failed',
      attempts: 3,
      lastError: 'connect ECONNREFUSED',
      createdAt: '2026-11-20T10:00:00.000Z',
      sentAt: null,
    });
    expect(data[data.length - 2]).toMatchObject({
      channel: 'callback',
      to: 'https://hooks.example.com/ok',
      status: 'sent',
      sentAt: '2026-11-20T10:01:00.500Z',
    });
  });

  it("is a 404 for another user's task and an unknown id; an admin sees any", async () => {
    expect((await list(bob.token)).statusCode).toBe(404);
    expect((await list(alice.token, '', randomUUID())).statusCode).toBe(404);
    const asAdmin = await list(admin.token);
    expect(asAdmin.statusCode, asAdmin.body).toBe(200);
    expect(asAdmin.json<Page<NotificationItem>>().total).toBe(25);
  });

  it('answers a read API key', async () => {
    const { key } = await createApiKey(t.api.app, alice.token, { name: 'reader', scope: 'read' });
    const response = await list(key);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<Page<NotificationItem>>().total).toBe(25);
  });

  it('refuses a limit over 100 and an unknown query field (400 naming it)', async () => {
    expectRefused(await list(alice.token, '?limit=101'), 'querystring/limit');
    expectRefused(await list(alice.token, '?status=sent'), 'querystring/status');
  });
});

describe('POST /api/v1/tasks/retry-failed', () => {
  const retryFailed = (token: string, payload: object = {}) => send('POST', '/api/v1/tasks/retry-failed', token, payload);
  const now = Date.now();
  const ago = (ms: number) => new Date(now - ms);

  /** A one-off task of `session`'s, put straight into `failed` as the worker leaves it, its last attempt at `lastRunAt`. */
  async function failedTask(session: Session, lastRunAt: Date, overrides: Record<string, unknown> = {}): Promise<TaskResponse> {
    const task = await createTask(t.api.app, session.token, { scheduledAt: inFuture(HOUR), ...overrides });
    await t.env.db
      .updateTable('tasks')
      .set({ status: 'failed', attempts: 4, next_run_at: null, last_run_at: lastRunAt, last_outcome: 'failed', run_count: 1 })
      .where('id', '=', task.id)
      .execute();
    return task;
  }

  function job(taskId: string, version: number) {
    return t.api.queue.queue.getJob(`${taskId}.${version}`);
  }

  async function expectRetried(id: string, before: { run_id: string; version: number }): Promise<void> {
    const row = await taskRow(id);
    expect(row).toMatchObject({ status: 'pending', attempts: 0, version: before.version + 1, lease_expires_at: null });
    expect(row.run_id).not.toBe(before.run_id);
    expect(Math.abs(row.next_run_at!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await job(id, row.version)).toBeDefined();
  }

  async function expectUntouched(id: string): Promise<void> {
    expect(await taskRow(id)).toMatchObject({ status: 'failed', attempts: 4, version: 1, next_run_at: null });
  }

  it('takes no body at all as {} (every field is optional): all of the caller’s failed tasks', async () => {
    const dana = await register(t.api.app);
    const failed = await failedTask(dana, ago(HOUR));
    const before = await taskRow(failed.id);
    const response = await send('POST', '/api/v1/tasks/retry-failed', dana.token);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ matched: 1, retried: 1 });
    await expectRetried(failed.id, before);
  });

  it("counts with dryRun, changing nothing; then re-drives the caller's failed one-off tasks only", async () => {
    const carol = await register(t.api.app);
    const failed = [await failedTask(carol, ago(3 * HOUR)), await failedTask(carol, ago(2 * HOUR)), await failedTask(carol, ago(HOUR))];
    // Not re-driven: a completed one-off, and a recurring task (never `failed`, but put there to be sure).
    const completed = await failedTask(carol, ago(HOUR));
    await t.env.db.updateTable('tasks').set({ status: 'completed' }).where('id', '=', completed.id).execute();
    const recurring = await failedTask(carol, ago(HOUR), { scheduledAt: undefined, cron: '0 0 * * *' });
    const dave = await register(t.api.app);
    const davesTask = await failedTask(dave, ago(HOUR));
    const before = await Promise.all(failed.map((task) => taskRow(task.id)));

    const dry = await retryFailed(carol.token, { dryRun: true });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toEqual({ matched: 3, retried: 3 });
    for (const [i, task] of failed.entries()) {
      expect(await taskRow(task.id)).toEqual(before[i]);
      expect(await job(task.id, 2)).toBeUndefined();
    }

    const response = await retryFailed(carol.token);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ matched: 3, retried: 3 });
    for (const [i, task] of failed.entries()) await expectRetried(task.id, before[i]!);
    expect((await taskRow(completed.id)).status).toBe('completed');
    expect((await taskRow(recurring.id)).status).toBe('failed');
    await expectUntouched(davesTask.id);

    // Nothing is left to re-drive.
    expect((await retryFailed(carol.token)).json()).toEqual({ matched: 0, retried: 0 });
  });

  it('takes tasks whose last attempt is in [since, until)', async () => {
    const erin = await register(t.api.app);
    const [older, atSince, inside, atUntil] = [
      await failedTask(erin, ago(4 * HOUR)),
      await failedTask(erin, ago(3 * HOUR)),
      await failedTask(erin, ago(2.5 * HOUR)),
      await failedTask(erin, ago(2 * HOUR)),
    ];
    const window = { since: ago(3 * HOUR).toISOString(), until: ago(2 * HOUR).toISOString() };
    expect((await retryFailed(erin.token, { ...window, dryRun: true })).json()).toEqual({ matched: 2, retried: 2 });
    const beforeAtSince = await taskRow(atSince.id);
    const beforeInside = await taskRow(inside.id);

    expect((await retryFailed(erin.token, window)).json()).toEqual({ matched: 2, retried: 2 });
    await expectRetried(atSince.id, beforeAtSince);
    await expectRetried(inside.id, beforeInside);
    await expectUntouched(older.id);
    await expectUntouched(atUntil.id);

    // Only a lower bound, then only an upper one.
    expect((await retryFailed(erin.token, { since: ago(2 * HOUR).toISOString(), dryRun: true })).json()).toEqual({
      matched: 1,
      retried: 1,
    });
    expect((await retryFailed(erin.token, { until: ago(2 * HOUR).toISOString(), dryRun: true })).json()).toEqual({
      matched: 1,
      retried: 1,
    });
  });

  it('takes only tasks with the tag when one is given', async () => {
    const frank = await register(t.api.app);
    const tagged = await failedTask(frank, ago(HOUR), { tags: ['billing', 'eu'] });
    const other = await failedTask(frank, ago(HOUR), { tags: ['reports'] });
    const before = await taskRow(tagged.id);

    expect((await retryFailed(frank.token, { tag: 'billing' })).json()).toEqual({ matched: 1, retried: 1 });
    await expectRetried(tagged.id, before);
    await expectUntouched(other.id);
  });

  it("matches nothing for a user's userId of someone else; an admin re-drives one user's, or everyone's", async () => {
    const gina = await register(t.api.app);
    const hank = await register(t.api.app);
    const tag = `fleet-${randomUUID().slice(0, 8)}`;
    const ginas = await failedTask(gina, ago(HOUR), { tags: [tag] });
    const hanks = await failedTask(hank, ago(HOUR), { tags: [tag] });

    expect((await retryFailed(gina.token, { userId: hank.user.id })).json()).toEqual({ matched: 0, retried: 0 });
    await expectUntouched(hanks.id);

    expect((await retryFailed(admin.token, { userId: hank.user.id, tag, dryRun: true })).json()).toEqual({ matched: 1, retried: 1 });
    const hanksBefore = await taskRow(hanks.id);
    expect((await retryFailed(admin.token, { userId: hank.user.id, tag })).json()).toEqual({ matched: 1, retried: 1 });
    await expectRetried(hanks.id, hanksBefore);
    await expectUntouched(ginas.id);

    const third = await failedTask(hank, ago(HOUR), { tags: [tag] });
    const before = await Promise.all([taskRow(ginas.id), taskRow(third.id)]);
    expect((await retryFailed(admin.token, { tag })).json()).toEqual({ matched: 2, retried: 2 });
    await expectRetried(ginas.id, before[0]);
    await expectRetried(third.id, before[1]);
  });

  it('walks past a page of 1,000 without reading a task twice (equal times, microseconds)', async () => {
    const ivan = await register(t.api.app);
    const template = await failedTask(ivan, ago(HOUR));
    const row = copyableTaskRow(await taskRow(template.id));
    // 1,204 more, three to an instant, so the page boundary falls among equal times ...
    const base = ago(2 * HOUR).getTime();
    await t.env.db
      .insertInto('tasks')
      .values(
        Array.from({ length: 1_204 }, (_, index) => ({
          ...row,
          name: `bulk ${index}`,
          run_id: randomUUID(),
          last_run_at: new Date(base + Math.floor(index / 3) * 1_000),
        })),
      )
      .execute();
    // ... which carry microseconds, as now() does (a cursor that lost them would read its last row again).
    await t.env.db
      .updateTable('tasks')
      .set((eb) => {
        const microseconds = eb.fn<Date>(
          'make_interval',
          [0, 0, 0, 0, 0, 0, 0.000123].map((n) => eb.lit(n)),
        );
        return { last_run_at: eb(eb.ref('last_run_at'), '+', microseconds) };
      })
      .where('user_id', '=', ivan.user.id)
      .execute();

    expect((await retryFailed(ivan.token, { dryRun: true })).json()).toEqual({ matched: 1205, retried: 1205 });
    expect((await retryFailed(ivan.token)).json()).toEqual({ matched: 1205, retried: 1205 });
    const statuses = await t.env.db
      .selectFrom('tasks')
      .select(['status', 'version', (eb) => eb.fn.countAll<string>().as('n')])
      .where('user_id', '=', ivan.user.id)
      .groupBy(['status', 'version'])
      .execute();
    expect(statuses.map((row) => ({ ...row, n: Number(row.n) }))).toEqual([{ status: 'pending', version: 2, n: 1205 }]);
    expect(await job(template.id, 2)).toBeDefined();
  });

  describe('within MAX_TASKS_PER_USER', () => {
    let small: TestApp;
    beforeAll(async () => {
      small = await createTestApp(t.env, { env: { MAX_TASKS_PER_USER: '3' } });
    });
    afterAll(async () => small?.close());

    it('matches every failed task but retries only as many as the quota leaves room for, oldest first', async () => {
      const jane = await register(small.app);
      await createTask(small.app, jane.token, { scheduledAt: inFuture(HOUR) });
      const failed = [];
      for (const hours of [4, 3, 2, 1]) failed.push(await failedTask(jane, ago(hours * HOUR)));
      const retry = (payload: object) =>
        small.app.inject({ method: 'POST', url: '/api/v1/tasks/retry-failed', headers: authed(jane.token), payload });
      const before = await Promise.all(failed.map((task) => taskRow(task.id)));

      expect((await retry({ dryRun: true })).json()).toEqual({ matched: 4, retried: 2 });
      const response = await retry({});
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toEqual({ matched: 4, retried: 2 });
      await expectRetried(failed[0]!.id, before[0]!);
      await expectRetried(failed[1]!.id, before[1]!);
      await expectUntouched(failed[2]!.id);
      await expectUntouched(failed[3]!.id);
      // At the quota: matched, none retried.
      expect((await retry({})).json()).toEqual({ matched: 2, retried: 0 });
    });
  });

  it.each([
    ['since after until', { since: '2026-11-02T00:00:00Z', until: '2026-11-01T00:00:00Z' }, 'body/until'],
    ['since not a date-time', { since: 'yesterday' }, 'body/since'],
    ['until without a zone', { until: '2026-11-01T00:00:00' }, 'body/until'],
    ['userId not a uuid', { userId: 'alice' }, 'body/userId'],
    ['an empty tag', { tag: '' }, 'body/tag'],
    ['an unknown field', { status: 'failed' }, 'body/status'],
  ])('refuses %s with a 400 naming the field, changing nothing', async (_name, payload, field) => {
    const kate = await register(t.api.app);
    const task = await failedTask(kate, ago(HOUR));
    expectRefused(await retryFailed(kate.token, payload), field);
    await expectUntouched(task.id);
  });

  it('is refused to a read API key (403)', async () => {
    const leo = await register(t.api.app);
    const task = await failedTask(leo, ago(HOUR));
    const { key } = await createApiKey(t.api.app, leo.token, { name: 'reader', scope: 'read' });
    const response = await retryFailed(key, {});
    expect(response.statusCode, response.body).toBe(403);
    expect(response.json<{ message: string }>().message).toContain('insufficient scope');
    await expectUntouched(task.id);
  });
});

describe('the OpenAPI document', () => {
  it('describes the new routes with their operationIds, and the new task fields', async () => {
    const document = (await t.api.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { operationId?: string; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties: Record<string, { description?: string; properties?: object }> }> };
    }>();
    const list = document.paths['/api/v1/tasks/{id}/notifications']?.get;
    expect(list?.operationId).toBe('listTaskNotifications');
    expect(Object.keys(list?.responses ?? {})).toEqual(expect.arrayContaining(['200', '401', '404']));
    const redrive = document.paths['/api/v1/tasks/retry-failed']?.post;
    expect(redrive?.operationId).toBe('retryFailedTasks');
    expect(Object.keys(redrive?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '403']));

    const taskSchema = Object.values(document.components.schemas).find(
      (schema) => schema.properties?.callbacks && schema.properties?.hasToken,
    );
    expect(taskSchema?.properties.callbacks?.properties).toHaveProperty('onSuccess');
    const notify = taskSchema?.properties.notify as { properties: Record<string, { description?: string }> } | undefined;
    expect(notify?.properties.afterConsecutiveFailures?.description).toContain(
      "recurring: one alert email when this many runs in a row failed, one 'recovered' email at the next success; replaces the per-run failure email",
    );
  });
});
