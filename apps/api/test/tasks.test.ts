import { randomUUID } from 'node:crypto';
import { openTaskSecrets } from '@punctual/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  authed,
  copyableTaskRow,
  createTask,
  register,
  taskBody,
  type Page,
  type Session,
  type TaskResponse,
  countTasks,
  useTestApp,
} from './test-app.js';

const ADMIN_EMAIL = 'admin@example.com';
const ADMIN_PASSWORD = 'admin-password-123';

const t = useTestApp({
  users: ['alice', 'bob'],
  admin: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
  // notify.email names other addresses at example.com (the accounts' domain), which the server must allow.
  env: { NOTIFY_EMAIL_DOMAINS: 'example.com' },
});
const { alice, bob } = t.users;
const admin = t.admin;
const HOUR = 3_600_000;

const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();

function request(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, token: string, payload?: unknown) {
  return t.api.app.inject({ method, url, headers: authed(token), ...(payload === undefined ? {} : { payload: payload as object }) });
}

async function taskRow(id: string) {
  return t.env.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

function job(taskId: string, version: number) {
  return t.api.queue.queue.getJob(`${taskId}.${version}`);
}

describe('POST /api/v1/tasks', () => {
  it('creates a task with the contract defaults and a Location header (201)', async () => {
    const before = Date.now();
    const response = await request('POST', '/api/v1/tasks', alice.token, taskBody());

    expect(response.statusCode).toBe(201);
    const task = response.json<TaskResponse>();
    expect(response.headers.location).toBe(`/api/v1/tasks/${task.id}`);
    expect(task).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      userId: alice.user.id,
      name: 'Ping billing',
      description: null,
      url: 'https://api.example.com/hook',
      method: 'GET',
      headers: {},
      body: null,
      hasToken: false,
      scheduledAt: expect.any(String),
      cron: null,
      timezone: 'UTC',
      nextRunAt: expect.any(String),
      status: 'pending',
      maxRetries: 3,
      backoff: { type: 'exponential', delayMs: 10_000, maxDelayMs: 3_600_000, jitter: false },
      timeoutMs: 10_000,
      attempts: 0,
      runCount: 0,
      lastRunAt: null,
      lastOutcome: null,
      lastStatusCode: null,
      lastError: null,
      tags: [],
      notify: { onFailure: true, onRetry: false },
      callbacks: {},
      successCodes: ['2xx'],
      retryOn: ['any'],
      flowControl: null,
      misfire: 'once',
      template: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    // No scheduledAt means now.
    const runAt = Date.parse(task.scheduledAt!);
    expect(runAt).toBeGreaterThanOrEqual(before - 1_000);
    expect(runAt).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(task.nextRunAt).toBe(task.scheduledAt);
  });

  it('fills a partial backoff and notify from the defaults', async () => {
    const task = await createTask(t.api.app, alice.token, { backoff: { type: 'fixed' }, notify: { onRetry: true } });

    expect(task.backoff).toEqual({ type: 'fixed', delayMs: 10_000, maxDelayMs: 3_600_000, jitter: false });
    expect(task.notify).toEqual({ onFailure: true, onRetry: true });
  });

  it('keeps every field it was given', async () => {
    const scheduledAt = inFuture(HOUR);
    const task = await createTask(t.api.app, alice.token, {
      name: 'Full',
      description: 'all the fields',
      url: 'http://hooks.example.com/a?b=c',
      method: 'POST',
      headers: { 'X-Custom': 'value' },
      body: { any: ['json', 1, true, null] },
      scheduledAt,
      maxRetries: 0,
      backoff: { type: 'fixed', delayMs: 500, maxDelayMs: 1000, jitter: true },
      timeoutMs: 100,
      tags: ['billing', 'billing', 'prod'],
      notify: { onFailure: false, onRetry: true, email: 'ops@example.com' },
    });

    expect(task).toMatchObject({
      name: 'Full',
      description: 'all the fields',
      url: 'http://hooks.example.com/a?b=c',
      method: 'POST',
      headers: { 'X-Custom': 'value' },
      body: { any: ['json', 1, true, null] },
      scheduledAt,
      nextRunAt: scheduledAt,
      maxRetries: 0,
      backoff: { type: 'fixed', delayMs: 500, maxDelayMs: 1000, jitter: true },
      timeoutMs: 100,
      tags: ['billing', 'prod'],
      notify: { onFailure: false, onRetry: true, email: 'ops@example.com' },
    });
  });

  it.each([
    ['http:foo', 'http://foo/'],
    ['HTTPS://API.Example.COM:443/a/./b/../c?q=1', 'https://api.example.com/a/c?q=1'],
    ['https://example.com', 'https://example.com/'],
    ['http://[2606:4700:4700:0:0::1111]:8080/x', 'http://[2606:4700:4700::1111]:8080/x'],
  ])('stores and returns %s normalized as %s: what is shown is what is called', async (url, normalized) => {
    const task = await createTask(t.api.app, alice.token, { url });

    expect(task.url).toBe(normalized);
    expect((await taskRow(task.id)).url).toBe(normalized);
  });

  it('keeps a string body as a string', async () => {
    const task = await createTask(t.api.app, alice.token, { method: 'POST', body: 'raw text' });

    expect(task.body).toBe('raw text');
  });

  it('never returns the token, and stores it encrypted', async () => {
    const task = await createTask(t.api.app, alice.token, { token: 'super-secret-token' });

    expect(task.hasToken).toBe(true);
    expect(JSON.stringify(task)).not.toContain('super-secret-token');
    const row = await taskRow(task.id);
    expect(row.token).not.toBeNull();
    expect(row.token).not.toContain('super-secret-token');
    expect(openTaskSecrets({ current: t.api.config.secretsKey }, row).token).toBe('super-secret-token');

    const fetched = await request('GET', `/api/v1/tasks/${task.id}`, alice.token);
    expect(fetched.json()).toMatchObject({ hasToken: true });
    expect(fetched.body).not.toContain('super-secret-token');
  });

  it('redacts sensitive header values in responses and keeps them encrypted at rest', async () => {
    const headers = { Authorization: 'Basic c2VjcmV0', 'X-Api-Key': 'key-123', Cookie: 'session=abc', 'X-Plain': 'visible' };
    const task = await createTask(t.api.app, alice.token, { headers });

    expect(task.headers).toEqual({ Authorization: '[redacted]', 'X-Api-Key': '[redacted]', Cookie: '[redacted]', 'X-Plain': 'visible' });
    const row = await taskRow(task.id);
    expect(row.headers).toEqual(task.headers);
    const atRest = JSON.stringify(row.headers) + String(row.secret_headers);
    for (const secret of ['c2VjcmV0', 'key-123', 'session=abc']) expect(atRest).not.toContain(secret);
    // Sealed, not dropped: the worker can still send them.
    expect(openTaskSecrets({ current: t.api.config.secretsKey }, row).headers).toEqual({
      Authorization: 'Basic c2VjcmV0',
      'X-Api-Key': 'key-123',
      Cookie: 'session=abc',
    });
  });

  it('queues a delayed job carrying only ids, due at scheduledAt', async () => {
    const scheduledAt = inFuture(2 * HOUR);
    const task = await createTask(t.api.app, alice.token, { scheduledAt, token: 'tok', body: { secret: 'payload' }, method: 'POST' });
    const row = await taskRow(task.id);
    expect(row.version).toBe(1);

    const queued = await job(task.id, 1);

    expect(queued).toBeDefined();
    expect(queued!.data).toEqual({ taskId: task.id, version: 1 });
    expect(await queued!.getState()).toBe('delayed');
    expect(Math.abs(queued!.timestamp + queued!.delay - Date.parse(scheduledAt))).toBeLessThan(2_000);
  });

  it('queues a past scheduledAt as a job due now', async () => {
    const scheduledAt = new Date(Date.now() - HOUR).toISOString();
    const task = await createTask(t.api.app, alice.token, { scheduledAt });

    expect(task.scheduledAt).toBe(scheduledAt);
    const queued = await job(task.id, 1);
    expect(queued).toBeDefined();
    expect(queued!.delay).toBe(0);
    expect(await queued!.getState()).toBe('waiting');
  });

  it('answers 401 without a token and creates nothing', async () => {
    const before = await countTasks(t.env.db);
    const response = await t.api.app.inject({ method: 'POST', url: '/api/v1/tasks', payload: taskBody() });

    expect(response.statusCode).toBe(401);
    expect(await countTasks(t.env.db)).toBe(before);
  });
});

describe('GET /api/v1/tasks/:id and /status', () => {
  it('returns the owner their task (200)', async () => {
    const created = await createTask(t.api.app, alice.token);

    const response = await request('GET', `/api/v1/tasks/${created.id}`, alice.token);

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(created);
  });

  it('returns the status summary (200)', async () => {
    const created = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });

    const response = await request('GET', `/api/v1/tasks/${created.id}/status`, alice.token);

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id: created.id, status: 'pending', nextRunAt: created.nextRunAt, attempts: 0, lastOutcome: null });
  });

  it.each(['', '/status', '/logs'])("answers 404 for another user's task (GET /tasks/:id%s), without its data", async (suffix) => {
    const created = await createTask(t.api.app, alice.token, { name: 'alice-private-name' });

    const response = await request('GET', `/api/v1/tasks/${created.id}${suffix}`, bob.token);

    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
    expect(response.body).not.toContain('alice-private-name');
  });

  it('answers 404 for an unknown id', async () => {
    const response = await request('GET', `/api/v1/tasks/${randomUUID()}`, alice.token);

    expect(response.statusCode).toBe(404);
  });

  it('answers 400 naming params/id for an id that is not a UUID', async () => {
    const response = await request('GET', '/api/v1/tasks/not-a-uuid', alice.token);

    expect(response.statusCode).toBe(400);
    expect(response.json<{ message: string }>().message).toContain('params/id');
  });

  it("lets an admin read any user's task", async () => {
    const created = await createTask(t.api.app, alice.token);

    const response = await request('GET', `/api/v1/tasks/${created.id}`, admin.token);

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: created.id, userId: alice.user.id });
  });
});

describe('GET /api/v1/tasks', () => {
  let lister: Session;
  /** By name: the lister's tasks, created in this order. */
  const tasks: Record<string, TaskResponse> = {};
  const names = ['Ping billing', '100% done', '1000 done', 'a_b', 'axb', 'Reports'];

  beforeAll(async () => {
    lister = await register(t.api.app);
    const specs: Array<Record<string, unknown>> = [
      { name: 'Ping billing', tags: ['billing', 'prod'], scheduledAt: inFuture(3 * HOUR) },
      { name: '100% done', tags: ['prod'], scheduledAt: inFuture(1 * HOUR) },
      { name: '1000 done', scheduledAt: inFuture(5 * HOUR) },
      { name: 'a_b', description: 'Nightly export', scheduledAt: inFuture(2 * HOUR) },
      { name: 'axb', url: 'https://hooks.internal.example/axb-target', scheduledAt: inFuture(4 * HOUR) },
      { name: 'Reports', scheduledAt: inFuture(6 * HOUR) },
    ];
    // One after another, so creation order is well defined.
    for (const spec of specs) tasks[spec.name as string] = await createTask(t.api.app, lister.token, spec);
    await t.env.db.updateTable('tasks').set({ status: 'paused' }).where('id', '=', tasks.Reports!.id).execute();
    // Someone else's task that matches every filter below, to prove the lister never sees it.
    await createTask(t.api.app, bob.token, { name: 'Ping billing 100% a_b', tags: ['billing', 'prod'] });
  });

  async function list(query: string, token = lister.token): Promise<Page<TaskResponse>> {
    const response = await request('GET', `/api/v1/tasks${query}`, token);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<Page<TaskResponse>>();
  }

  const namesOf = (page: Page<TaskResponse>) => page.data.map((task) => task.name);

  it("lists only the caller's tasks, newest first by default, with page, limit and total", async () => {
    const page = await list('');

    expect(page).toMatchObject({ page: 1, limit: 20, total: 6 });
    expect(namesOf(page)).toEqual([...names].reverse());
    expect(page.data.every((task) => task.userId === lister.user.id)).toBe(true);
  });

  it('paginates: pages are disjoint, cover every task, and past the end is empty', async () => {
    const pages = await Promise.all([1, 2, 3].map((page) => list(`?limit=4&page=${page}`)));

    expect(pages.map((page) => [page.page, page.limit, page.total, page.data.length])).toEqual([
      [1, 4, 6, 4],
      [2, 4, 6, 2],
      [3, 4, 6, 0],
    ]);
    expect(pages.flatMap(namesOf)).toEqual([...names].reverse());
  });

  it.each([
    ['?status=paused', ['Reports']],
    ['?status=pending', ['axb', 'a_b', '1000 done', '100% done', 'Ping billing']],
    ['?status=failed', []],
    ['?tag=prod', ['100% done', 'Ping billing']],
    ['?tag=billing', ['Ping billing']],
    ['?tag=nope', []],
    ['?tag=prod&status=pending&q=ping', ['Ping billing']],
  ])('filters %s', async (query, expected) => {
    const page = await list(query);

    expect(namesOf(page)).toEqual(expected);
    expect(page.total).toBe(expected.length);
  });

  it.each([
    ['name, case-insensitively', 'BILLING', ['Ping billing']],
    ['description', 'nightly', ['a_b']],
    ['url', 'hooks.internal', ['axb']],
    ['a literal %', encodeURIComponent('0%'), ['100% done']],
    ['a literal _', 'a_b', ['a_b']],
    ['a lone _', '_', ['a_b']],
    ['a backslash', encodeURIComponent('\\'), []],
  ])('filters q by %s', async (_label, q, expected) => {
    const page = await list(`?q=${q}`);

    expect(namesOf(page)).toEqual(expected);
    expect(page.total).toBe(expected.length);
  });

  it.each([
    ['createdAt', ['Ping billing', '100% done', '1000 done', 'a_b', 'axb', 'Reports']],
    ['-createdAt', ['Reports', 'axb', 'a_b', '1000 done', '100% done', 'Ping billing']],
    ['nextRunAt', ['100% done', 'a_b', 'Ping billing', 'axb', '1000 done', 'Reports']],
    ['-nextRunAt', ['Reports', '1000 done', 'axb', 'Ping billing', 'a_b', '100% done']],
  ])('sorts by %s', async (sort, expected) => {
    expect(namesOf(await list(`?sort=${sort}`))).toEqual(expected);
  });

  it('sorts a task with no next run as the latest: last by nextRunAt, first by -nextRunAt', async () => {
    await t.env.db.updateTable('tasks').set({ next_run_at: null }).where('id', '=', tasks.Reports!.id).execute();
    try {
      expect(namesOf(await list('?sort=nextRunAt'))).toEqual(['100% done', 'a_b', 'Ping billing', 'axb', '1000 done', 'Reports']);
      expect(namesOf(await list('?sort=-nextRunAt'))).toEqual(['Reports', '1000 done', 'axb', 'Ping billing', 'a_b', '100% done']);
    } finally {
      await t.env.db.updateTable('tasks').set({ next_run_at: tasks.Reports!.nextRunAt }).where('id', '=', tasks.Reports!.id).execute();
    }
  });

  it("gives a user an empty page for another user's userId, never that user's tasks", async () => {
    const page = await list(`?userId=${bob.user.id}`);

    expect(page).toMatchObject({ data: [], page: 1, limit: 20, total: 0 });
  });

  it('gives a user their own tasks for their own userId', async () => {
    const page = await list(`?userId=${lister.user.id}`);

    expect(page.total).toBe(6);
    expect(namesOf(page)).toEqual([...names].reverse());
  });

  it("shows an admin everyone's tasks", async () => {
    const { total } = await t.env.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<string>().as('total'))
      .executeTakeFirstOrThrow();

    const page = await list('?limit=100', admin.token);

    expect(page.total).toBe(Number(total));
    expect(new Set(page.data.map((task) => task.userId))).toEqual(new Set([alice.user.id, bob.user.id, lister.user.id]));
  });

  it("lets an admin filter one user's tasks with userId", async () => {
    const page = await list(`?userId=${lister.user.id}&sort=createdAt`, admin.token);

    expect(page.total).toBe(6);
    expect(namesOf(page)).toEqual(names);
  });
});

describe('GET /api/v1/tasks: totals of long lists', () => {
  /** Past the exact-count cap (1,000): the lister has this many tasks tagged `many`, the first 5 of them also `few`. */
  const MANY = 1_005;
  let lister: Session;

  beforeAll(async () => {
    lister = await register(t.api.app);
    const template = await createTask(t.api.app, lister.token, { name: 'many 0', tags: ['many', 'few'] });
    const row = copyableTaskRow(await taskRow(template.id));
    await t.env.db
      .insertInto('tasks')
      .values(
        Array.from({ length: MANY - 1 }, (_, index) => ({
          ...row,
          name: `many ${index + 1}`,
          run_id: randomUUID(),
          tags: index < 4 ? ['many', 'few'] : ['many'],
          created_at: new Date(Date.parse(template.createdAt) + (index + 1) * 1_000),
        })),
      )
      .execute();
  });

  async function list(query: string): Promise<Page<TaskResponse>> {
    const response = await t.api.app.inject({ method: 'GET', url: `/api/v1/tasks${query}`, headers: authed(lister.token) });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<Page<TaskResponse>>();
  }

  it('estimates the total of more than 1,000 matches, says so, and still pages newest first', async () => {
    const page = await list('?tag=many&limit=3');

    expect(page).toMatchObject({ page: 1, limit: 3, totalExact: false });
    expect(Number.isInteger(page.total)).toBe(true);
    expect(page.total).toBeGreaterThan(1_000);
    expect(page.data.map((task) => task.name)).toEqual(['many 1004', 'many 1003', 'many 1002']);
  });

  it('counts exactly within the cap, and on the last page of a longer list, in the envelope of the contract', async () => {
    const few = await list('?tag=few');
    expect(Object.keys(few).sort()).toEqual(['data', 'limit', 'page', 'total']);
    expect(few.total).toBe(5);
    const last = await list(`?tag=many&limit=10&page=${Math.ceil(MANY / 10)}`);
    expect(Object.keys(last).sort()).toEqual(['data', 'limit', 'page', 'total']);
    expect(last.total).toBe(MANY);
    expect(last.data.map((task) => task.name)).toEqual(['many 4', 'many 3', 'many 2', 'many 1', 'many 0']);
  });
});

describe('PATCH and PUT /api/v1/tasks/:id', () => {
  it.each(['PATCH', 'PUT'] as const)('%s changes the given fields and keeps the rest (200)', async (method) => {
    const created = await createTask(t.api.app, alice.token, { tags: ['a'], maxRetries: 5 });

    const response = await request(method, `/api/v1/tasks/${created.id}`, alice.token, {
      name: 'Renamed',
      url: 'https://elsewhere.example.com/x',
      method: 'POST',
      body: { hello: 'world' },
      backoff: { delayMs: 1_000 },
      notify: { email: 'me@example.com' },
    });

    expect(response.statusCode, response.body).toBe(200);
    const updated = response.json<TaskResponse>();
    expect(updated).toMatchObject({
      id: created.id,
      name: 'Renamed',
      url: 'https://elsewhere.example.com/x',
      method: 'POST',
      body: { hello: 'world' },
      backoff: { type: 'exponential', delayMs: 1_000, maxDelayMs: 3_600_000, jitter: false },
      notify: { onFailure: true, onRetry: false, email: 'me@example.com' },
      tags: ['a'],
      maxRetries: 5,
      scheduledAt: created.scheduledAt,
      status: 'pending',
    });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
    expect((await request('GET', `/api/v1/tasks/${created.id}`, alice.token)).json()).toEqual(updated);
  });

  it('stores a new url normalized', async () => {
    const created = await createTask(t.api.app, alice.token);

    const response = await request('PATCH', `/api/v1/tasks/${created.id}`, alice.token, { url: 'HTTP:Example.com:80' });

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ url: 'http://example.com/' });
    expect((await taskRow(created.id)).url).toBe('http://example.com/');
  });

  it('clears the description with null and removes the token with null', async () => {
    const created = await createTask(t.api.app, alice.token, { description: 'text', token: 'tok' });

    const response = await request('PATCH', `/api/v1/tasks/${created.id}`, alice.token, { description: null, token: null });

    expect(response.json()).toMatchObject({ description: null, hasToken: false });
    expect((await taskRow(created.id)).token).toBeNull();
  });

  it('reschedules on a new scheduledAt: a new job at the next version, the old one gone', async () => {
    const created = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });
    expect(await job(created.id, 1)).toBeDefined();
    const scheduledAt = inFuture(3 * HOUR);

    const response = await request('PATCH', `/api/v1/tasks/${created.id}`, alice.token, { scheduledAt });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ scheduledAt, nextRunAt: scheduledAt });
    const row = await taskRow(created.id);
    expect(row.version).toBe(2);
    expect(await job(created.id, 1)).toBeUndefined();
    const queued = await job(created.id, 2);
    expect(queued!.data).toEqual({ taskId: created.id, version: 2 });
    expect(Math.abs(queued!.timestamp + queued!.delay - Date.parse(scheduledAt))).toBeLessThan(2_000);
  });

  it('keeps the version and the queued job when the schedule does not change', async () => {
    const created = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });

    await request('PATCH', `/api/v1/tasks/${created.id}`, alice.token, { name: 'same time' });

    expect((await taskRow(created.id)).version).toBe(1);
    expect(await job(created.id, 1)).toBeDefined();
  });

  it('redacts sensitive headers given in an update, replacing the old headers as a whole', async () => {
    const created = await createTask(t.api.app, alice.token, { headers: { 'X-Old': 'old' } });

    const response = await request('PATCH', `/api/v1/tasks/${created.id}`, alice.token, { headers: { 'X-Auth-Token': 'new-secret' } });

    expect(response.json<TaskResponse>().headers).toEqual({ 'X-Auth-Token': '[redacted]' });
    const row = await taskRow(created.id);
    expect(JSON.stringify(row.headers) + String(row.secret_headers)).not.toContain('new-secret');
  });

  it.each(['completed', 'running', 'failed', 'cancelled'] as const)('answers 409 naming the status for a %s task', async (status) => {
    const created = await createTask(t.api.app, alice.token);
    await t.env.db.updateTable('tasks').set({ status }).where('id', '=', created.id).execute();

    const response = await request('PATCH', `/api/v1/tasks/${created.id}`, alice.token, { name: 'too late' });

    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ statusCode: 409, error: 'Conflict', message: expect.stringContaining(status) });
    expect((await taskRow(created.id)).name).toBe('Ping billing');
  });

  it.each(['retrying', 'paused'] as const)('allows an update of a %s task', async (status) => {
    const created = await createTask(t.api.app, alice.token);
    await t.env.db.updateTable('tasks').set({ status }).where('id', '=', created.id).execute();

    const response = await request('PUT', `/api/v1/tasks/${created.id}`, alice.token, { name: 'changed' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ name: 'changed', status });
  });

  it.each(['PATCH', 'PUT'] as const)('%s answers 400 for an empty body {}', async (method) => {
    const created = await createTask(t.api.app, alice.token);

    const response = await request(method, `/api/v1/tasks/${created.id}`, alice.token, {});

    expect(response.statusCode).toBe(400);
    expect(response.json<{ message: string }>().message).toContain('body');
  });

  it("answers 404 for another user's task and leaves it unchanged", async () => {
    const created = await createTask(t.api.app, alice.token);

    const response = await request('PATCH', `/api/v1/tasks/${created.id}`, bob.token, { name: 'hijacked' });

    expect(response.statusCode).toBe(404);
    expect((await taskRow(created.id)).name).toBe('Ping billing');
  });

  it("lets an admin update any user's task", async () => {
    const created = await createTask(t.api.app, alice.token);

    const response = await request('PATCH', `/api/v1/tasks/${created.id}`, admin.token, { name: 'by admin' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ name: 'by admin', userId: alice.user.id });
  });

  it('refuses a token while the stored headers carry Authorization (400 naming body/token)', async () => {
    const created = await createTask(t.api.app, alice.token, { headers: { Authorization: 'Bearer old' } });

    const response = await request('PATCH', `/api/v1/tasks/${created.id}`, alice.token, { token: 'new' });

    expect(response.statusCode).toBe(400);
    expect(response.json<{ message: string }>().message).toContain('body/token');
  });

  it('refuses switching to HEAD while the task has a body (400 naming body/body)', async () => {
    const created = await createTask(t.api.app, alice.token, { method: 'POST', body: { a: 1 } });

    const response = await request('PATCH', `/api/v1/tasks/${created.id}`, alice.token, { method: 'HEAD' });

    expect(response.statusCode).toBe(400);
    expect(response.json<{ message: string }>().message).toContain('body/body');
  });
});

describe('DELETE /api/v1/tasks/:id', () => {
  it('removes the task, its logs and its queued job (204, then 404)', async () => {
    const created = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });
    const row = await taskRow(created.id);
    await t.env.db
      .insertInto('task_logs')
      .values({
        task_id: created.id,
        user_id: alice.user.id,
        run_id: row.run_id,
        attempt: 1,
        outcome: 'failed',
        status_code: 503,
        scheduled_for: new Date(),
        finished_at: new Date(),
        worker_id: 'test:1',
      })
      .execute();
    expect(await job(created.id, 1)).toBeDefined();

    const response = await request('DELETE', `/api/v1/tasks/${created.id}`, alice.token);

    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect((await request('GET', `/api/v1/tasks/${created.id}`, alice.token)).statusCode).toBe(404);
    expect((await request('DELETE', `/api/v1/tasks/${created.id}`, alice.token)).statusCode).toBe(404);
    const logs = await t.env.db.selectFrom('task_logs').select('id').where('task_id', '=', created.id).execute();
    expect(logs).toEqual([]);
    expect(await job(created.id, 1)).toBeUndefined();
  });

  it("answers 404 for another user's task and keeps it and its job", async () => {
    const created = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });

    const response = await request('DELETE', `/api/v1/tasks/${created.id}`, bob.token);

    expect(response.statusCode).toBe(404);
    expect((await request('GET', `/api/v1/tasks/${created.id}`, alice.token)).statusCode).toBe(200);
    expect(await job(created.id, 1)).toBeDefined();
  });

  it("lets an admin delete any user's task", async () => {
    const created = await createTask(t.api.app, alice.token);

    expect((await request('DELETE', `/api/v1/tasks/${created.id}`, admin.token)).statusCode).toBe(204);
    expect((await request('GET', `/api/v1/tasks/${created.id}`, alice.token)).statusCode).toBe(404);
  });
});
