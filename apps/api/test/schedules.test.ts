import { nextOccurrence, previewSchedule } from '@punctual/scheduling';
import { describe, expect, it } from 'vitest';
import { createApiKey } from './credentials-fixtures.js';
import { authed, createTask, useTestApp, expectRefused } from './test-app.js';

// MIN_CRON_INTERVAL_SECONDS as a deployment might set it: a preview refuses what a task's create refuses.
const t = useTestApp({ users: ['alice', 'bob'], env: { MIN_CRON_INTERVAL_SECONDS: '60' } });
const { alice, bob } = t.users;

interface Occurrences {
  occurrences: { at: string; local: string; dst: 'gap' | 'repeat' | null }[];
}

function get(url: string, token = alice.token) {
  return t.api.app.inject({ method: 'GET', url, headers: authed(token) });
}

function preview(query: Record<string, string>, token = alice.token) {
  return get(`/api/v1/schedules/next?${new URLSearchParams(query).toString()}`, token);
}

describe('GET /api/v1/schedules/next', () => {
  it.each([
    ['Berlin spring forward', '30 2 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z', '2026-03-29T03:30:00+02:00', 'gap'],
    ['Berlin fall back', '30 2 * * *', 'Europe/Berlin', '2026-10-24T12:00:00Z', '2026-10-25T02:30:00+02:00', 'repeat'],
    ['New York spring forward', '0 30 2 * * *', 'America/New_York', '2026-03-07T12:00:00Z', '2026-03-08T03:30:00-04:00', 'gap'],
    ['New York fall back', '30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z', '2026-11-01T01:30:00-04:00', 'repeat'],
  ])('marks the %s night (%s in %s)', async (_night, cron, timezone, from, local, dst) => {
    const response = await preview({ cron, timezone, from, count: '3' });
    expect(response.statusCode, response.body).toBe(200);
    const { occurrences } = response.json<Occurrences>();
    expect(occurrences).toHaveLength(3);
    expect(occurrences[0]).toEqual({ at: new Date(local).toISOString(), local, dst });
    expect(occurrences.slice(1).map((occurrence) => occurrence.dst)).toEqual([null, null]);
    // The scheduler's own sequence.
    expect(occurrences).toEqual(previewSchedule({ cron, timezone }, new Date(from), 3));
  });

  it('lists 5 occurrences after now in UTC by default, the first being a new task’s nextRunAt', async () => {
    const before = new Date();
    const response = await preview({ cron: '*/5 * * * *' });
    expect(response.statusCode, response.body).toBe(200);
    const { occurrences } = response.json<Occurrences>();
    expect(occurrences).toHaveLength(5);
    const first = nextOccurrence({ cron: '*/5 * * * *', timezone: 'UTC' }, before);
    expect(occurrences[0]!.at).toBe(first.toISOString());
    expect(occurrences[0]!.local).toBe(first.toISOString().replace('.000Z', '+00:00'));
    const task = await createTask(t.api.app, alice.token, { cron: '*/5 * * * *' });
    expect(task.nextRunAt).toBe(occurrences[0]!.at);
  });

  it('lists up to 100', async () => {
    const response = await preview({ cron: '0 * * * *', timezone: 'Asia/Kolkata', count: '100', from: '2026-01-01T00:00:00Z' });
    expect(response.json<Occurrences>().occurrences).toHaveLength(100);
    expect(response.json<Occurrences>().occurrences[0]).toEqual({
      at: '2026-01-01T00:30:00.000Z',
      local: '2026-01-01T06:00:00+05:30',
      dst: null,
    });
  });

  it.each([
    [{ cron: '@daily' }, 'querystring/cron'],
    [{ cron: '61 * * * *' }, 'querystring/cron'],
    [{ cron: '* * * * * *' }, 'querystring/cron'],
    [{ cron: '0 0 * * *', timezone: 'Mars/Olympus' }, 'querystring/timezone'],
    [{ cron: '0 0 * * *', count: '0' }, 'querystring/count'],
    [{ cron: '0 0 * * *', count: '101' }, 'querystring/count'],
    [{ cron: '0 0 * * *', from: 'yesterday' }, 'querystring/from'],
    [{ cron: '0 0 * * *', from: '1969-12-31T23:59:59Z' }, 'querystring/from'],
    [{ cron: '0 0 * * *', from: '3000-01-01T00:00:00Z' }, 'querystring/from'],
    [{ cron: '0 0 * * *', extra: '1' }, 'querystring/extra'],
    [{ timezone: 'UTC' }, 'querystring/cron'],
  ])('refuses %j with 400 naming %s', async (query, field) => {
    expectRefused(await preview(query), field);
  });

  it('names the shortest interval allowed (MIN_CRON_INTERVAL_SECONDS) as a create does', async () => {
    const response = await preview({ cron: '*/30 * * * * *' });
    expect(response.json<{ message: string }>().message).toBe(
      'querystring/cron fires 30 s after a previous run at its closest; the shortest interval allowed is 60 s (MIN_CRON_INTERVAL_SECONDS)',
    );
  });

  it('answers a read API key, and nobody without credentials', async () => {
    const { key } = await createApiKey(t.api.app, alice.token, { scope: 'read' });
    expect((await preview({ cron: '0 9 * * 1-5' }, key)).statusCode).toBe(200);
    expect((await t.api.app.inject({ method: 'GET', url: '/api/v1/schedules/next?cron=0+9+*+*+*' })).statusCode).toBe(401);
  });
});

describe('GET /api/v1/tasks/:id/next', () => {
  it('lists a recurring task’s next runs from its nextRunAt', async () => {
    const task = await createTask(t.api.app, alice.token, { cron: '30 2 * * *', timezone: 'Europe/Berlin' });
    const response = await get(`/api/v1/tasks/${task.id}/next?count=3`);
    expect(response.statusCode, response.body).toBe(200);
    const { occurrences } = response.json<Occurrences>();
    expect(occurrences.map((occurrence) => occurrence.at)).toEqual(
      previewSchedule({ cron: '30 2 * * *', timezone: 'Europe/Berlin' }, new Date(Date.parse(task.nextRunAt!) - 1), 3).map(
        (occurrence) => occurrence.at,
      ),
    );
    expect(occurrences[0]!.at).toBe(task.nextRunAt);
  });

  it.each([
    // Its 10:00 run missed (workers down): once runs it at once as the catch-up run, skip goes on after now.
    ['once', true],
    ['skip', false],
  ] as const)('shows a missed next run as misfire %s will run it', async (misfire, catchUp) => {
    const task = await createTask(t.api.app, alice.token, { cron: '0 * * * *', misfire });
    const missed = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000);
    await t.env.db.updateTable('tasks').set({ next_run_at: missed }).where('id', '=', task.id).execute();
    const { occurrences } = (await get(`/api/v1/tasks/${task.id}/next?count=2`)).json<Occurrences>();
    expect(occurrences[0]!.at === missed.toISOString()).toBe(catchUp);
    expect(Date.parse(occurrences[1]!.at)).toBeGreaterThan(Date.now());
  });

  it('lists 5 by default, for a paused task too (as if resumed now)', async () => {
    const task = await createTask(t.api.app, alice.token, { cron: '0 9 * * 1-5', timezone: 'America/New_York' });
    await t.api.app.inject({ method: 'POST', url: `/api/v1/tasks/${task.id}/pause`, headers: authed(alice.token) });
    const { occurrences } = (await get(`/api/v1/tasks/${task.id}/next`)).json<Occurrences>();
    expect(occurrences).toHaveLength(5);
    expect(occurrences[0]!.at).toBe(task.nextRunAt);
  });

  it('refuses a one-off task with 400 naming params/id', async () => {
    const task = await createTask(t.api.app, alice.token);
    const response = await get(`/api/v1/tasks/${task.id}/next`);
    expectRefused(response, 'params/id');
    expect(response.json<{ message: string }>().message).toContain('one-off');
  });

  it('answers 404 for a task of someone else or none, 400 for a bad count', async () => {
    const task = await createTask(t.api.app, alice.token, { cron: '0 9 * * *' });
    expect((await get(`/api/v1/tasks/${task.id}/next`, bob.token)).statusCode).toBe(404);
    expect((await get('/api/v1/tasks/00000000-0000-4000-8000-000000000000/next')).statusCode).toBe(404);
    expectRefused(await get(`/api/v1/tasks/${task.id}/next?count=101`), 'querystring/count');
  });
});

describe('the OpenAPI document', () => {
  it('documents both routes with an operationId, bearer security and an example', async () => {
    const document = (await t.api.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { operationId?: string; security?: unknown; responses: Record<string, any> }>>;
    }>();
    for (const [path, operationId] of [
      ['/api/v1/schedules/next', 'previewSchedule'],
      ['/api/v1/tasks/{id}/next', 'previewTaskSchedule'],
    ]) {
      const operation = document.paths[path!]?.get;
      expect(operation?.operationId).toBe(operationId);
      expect(operation?.security).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(operation!.responses)).toEqual(expect.arrayContaining(['200', '400', '401']));
      expect(operation!.responses['200'].content['application/json'].example.occurrences[1]).toMatchObject({ dst: 'gap' });
    }
  });
});
