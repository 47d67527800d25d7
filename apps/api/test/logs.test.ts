import { randomUUID } from 'node:crypto';
import type { TaskLog } from '@punctual/contract';
import { beforeAll, describe, expect, it } from 'vitest';
import { authed, createTask, type Page, type TaskResponse, useTestApp } from './test-app.js';

const t = useTestApp({ users: ['alice', 'bob'], admin: { email: 'admin@example.com', password: 'admin-password-123' } });
const { alice, bob } = t.users;
const admin = t.admin;
let billing: TaskResponse;
let reports: TaskResponse;
let bobsTask: TaskResponse;

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const iso = (minutes: number) => at(minutes).toISOString();

/** Each log row by a short name: task, run, attempt. */
const logIds: Record<string, string> = {};

async function insertLog(
  name: string,
  task: TaskResponse,
  runId: string,
  attempt: number,
  startedAtMinute: number,
  outcome: 'succeeded' | 'failed' | null,
): Promise<void> {
  const finished = outcome !== null;
  const row = await t.env.db
    .insertInto('task_logs')
    .values({
      task_id: task.id,
      user_id: task.userId,
      run_id: runId,
      attempt,
      outcome,
      status_code: outcome === 'succeeded' ? 200 : finished ? 503 : null,
      duration_ms: finished ? 40 + attempt : null,
      error: outcome === 'failed' ? 'HTTP 503' : null,
      response_headers: finished ? JSON.stringify({ 'content-type': 'text/plain' }) : null,
      response_body: finished ? `body of ${name}` : null,
      response_truncated: false,
      scheduled_for: at(startedAtMinute),
      started_at: at(startedAtMinute),
      finished_at: finished ? new Date(at(startedAtMinute).getTime() + 50) : null,
      worker_id: 'worker-test:1',
      next_retry_at: outcome === 'failed' ? at(startedAtMinute + 1) : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  logIds[name] = row.id;
}

beforeAll(async () => {
  billing = await createTask(t.api.app, alice.token, { name: 'billing' });
  reports = await createTask(t.api.app, alice.token, { name: 'reports' });
  bobsTask = await createTask(t.api.app, bob.token, { name: 'bobs' });

  const [billingRun1, billingRun2, reportsRun, bobsRun] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  await insertLog('billing-1', billing, billingRun1, 1, 1, 'failed');
  await insertLog('billing-2', billing, billingRun1, 2, 2, 'failed');
  await insertLog('billing-3', billing, billingRun1, 3, 3, 'succeeded');
  // In flight: no outcome yet, so never listed.
  await insertLog('billing-open', billing, billingRun2, 1, 4, null);
  await insertLog('reports-1', reports, reportsRun, 1, 5, 'succeeded');
  await insertLog('bobs-1', bobsTask, bobsRun, 1, 1.5, 'failed');
  await insertLog('bobs-2', bobsTask, bobsRun, 2, 6, 'succeeded');
});

async function list(url: string, token = alice.token): Promise<Page<TaskLog>> {
  const response = await t.api.app.inject({ method: 'GET', url, headers: authed(token) });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Page<TaskLog>>();
}

const nameOf = (id: string) => Object.entries(logIds).find(([, logId]) => logId === id)?.[0];
const namesOf = (page: Page<TaskLog>) => page.data.map((log) => nameOf(log.id));

describe('GET /api/v1/tasks/:id/logs', () => {
  it('lists the finished attempts newest first, leaving out the one in flight', async () => {
    const page = await list(`/api/v1/tasks/${billing.id}/logs`);

    expect(page).toMatchObject({ page: 1, limit: 20, total: 3 });
    expect(namesOf(page)).toEqual(['billing-3', 'billing-2', 'billing-1']);
  });

  it('shows every field of an attempt', async () => {
    const page = await list(`/api/v1/tasks/${billing.id}/logs?outcome=failed&limit=1`);
    const log = page.data[0]!;

    expect(log).toEqual({
      id: logIds['billing-2'],
      taskId: billing.id,
      runId: expect.any(String),
      attempt: 2,
      outcome: 'failed',
      statusCode: 503,
      durationMs: 42,
      error: 'HTTP 503',
      responseHeaders: { 'content-type': 'text/plain' },
      responseBody: 'body of billing-2',
      responseTruncated: false,
      scheduledFor: iso(2),
      startedAt: iso(2),
      finishedAt: new Date(T0 + 2 * 60_000 + 50).toISOString(),
      workerId: 'worker-test:1',
      nextRetryAt: iso(3),
    });
  });

  it('paginates', async () => {
    const [first, second, third] = await Promise.all(
      [1, 2, 3].map((page) => list(`/api/v1/tasks/${billing.id}/logs?limit=2&page=${page}`)),
    );

    expect([first, second, third].map((page) => [page!.page, page!.limit, page!.total])).toEqual([
      [1, 2, 3],
      [2, 2, 3],
      [3, 2, 3],
    ]);
    expect([namesOf(first!), namesOf(second!), namesOf(third!)]).toEqual([['billing-3', 'billing-2'], ['billing-1'], []]);
  });

  it.each([
    ['failed', ['billing-2', 'billing-1']],
    ['succeeded', ['billing-3']],
  ])('filters outcome=%s', async (outcome, expected) => {
    const page = await list(`/api/v1/tasks/${billing.id}/logs?outcome=${outcome}`);

    expect(namesOf(page)).toEqual(expected);
    expect(page.total).toBe(expected.length);
  });

  it("answers 404 for another user's task, without its logs", async () => {
    const response = await t.api.app.inject({ method: 'GET', url: `/api/v1/tasks/${bobsTask.id}/logs`, headers: authed(alice.token) });

    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain(logIds['bobs-1']);
  });

  it('answers 404 for an unknown task', async () => {
    const response = await t.api.app.inject({ method: 'GET', url: `/api/v1/tasks/${randomUUID()}/logs`, headers: authed(alice.token) });

    expect(response.statusCode).toBe(404);
  });

  it("lets an admin read any user's task logs", async () => {
    const page = await list(`/api/v1/tasks/${bobsTask.id}/logs`, admin.token);

    expect(namesOf(page)).toEqual(['bobs-2', 'bobs-1']);
  });
});

describe('GET /api/v1/logs', () => {
  it("lists all the caller's finished attempts newest first, and nobody else's", async () => {
    const page = await list('/api/v1/logs');

    expect(namesOf(page)).toEqual(['reports-1', 'billing-3', 'billing-2', 'billing-1']);
    expect(page).toMatchObject({ page: 1, limit: 20, total: 4 });
  });

  it.each([
    ['taskId', () => `taskId=${reports.id}`, ['reports-1']],
    ['outcome=succeeded', () => 'outcome=succeeded', ['reports-1', 'billing-3']],
    ['outcome=failed', () => 'outcome=failed', ['billing-2', 'billing-1']],
    ['from (inclusive)', () => `from=${iso(2)}`, ['reports-1', 'billing-3', 'billing-2']],
    ['to (exclusive)', () => `to=${iso(3)}`, ['billing-2', 'billing-1']],
    ['from and to', () => `from=${iso(2)}&to=${iso(5)}`, ['billing-3', 'billing-2']],
    ['from with an offset', () => `from=${encodeURIComponent('2026-03-01T13:02:00+01:00')}`, ['reports-1', 'billing-3', 'billing-2']],
    ['taskId, outcome and from', () => `taskId=${billing.id}&outcome=failed&from=${iso(2)}`, ['billing-2']],
    ['from after to', () => `from=${iso(5)}&to=${iso(1)}`, []],
  ])('filters by %s', async (_label, query, expected) => {
    const page = await list(`/api/v1/logs?${query()}`);

    expect(namesOf(page)).toEqual(expected);
    expect(page.total).toBe(expected.length);
  });

  it('paginates', async () => {
    const page = await list('/api/v1/logs?limit=3&page=2');

    expect(page).toMatchObject({ page: 2, limit: 3, total: 4 });
    expect(namesOf(page)).toEqual(['billing-1']);
  });

  it("never shows another user's logs, even asked by taskId", async () => {
    const page = await list(`/api/v1/logs?taskId=${bobsTask.id}`);

    expect(page).toMatchObject({ data: [], total: 0 });
  });

  it("shows an admin everyone's logs", async () => {
    const page = await list('/api/v1/logs', admin.token);

    expect(namesOf(page)).toEqual(['bobs-2', 'reports-1', 'billing-3', 'billing-2', 'bobs-1', 'billing-1']);
  });

  it('answers 401 without a token', async () => {
    const response = await t.api.app.inject({ method: 'GET', url: '/api/v1/logs' });

    expect(response.statusCode).toBe(401);
  });

  it('drops the logs of a deleted task', async () => {
    const doomed = await createTask(t.api.app, bob.token, { name: 'doomed' });
    await insertLog('doomed-1', doomed, randomUUID(), 1, 7, 'failed');
    expect(namesOf(await list('/api/v1/logs', bob.token))).toContain('doomed-1');

    await t.api.app.inject({ method: 'DELETE', url: `/api/v1/tasks/${doomed.id}`, headers: authed(bob.token) });

    expect(namesOf(await list('/api/v1/logs', bob.token))).toEqual(['bobs-2', 'bobs-1']);
  });
});
