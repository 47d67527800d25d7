import { randomUUID } from 'node:crypto';
import { TASK_ACTIONS, TASK_STATUSES, TASK_TRANSITIONS, type TaskAction, type TaskStatus } from '@punctual/scheduling';
import { describe, expect, it } from 'vitest';
import { authed, createTask, type TaskResponse, useTestApp } from './test-app.js';

const t = useTestApp({ users: ['alice', 'bob'] });
const { alice, bob } = t.users;

const HOUR = 3_600_000;

const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();

function post(url: string, token: string, payload?: object) {
  return t.api.app.inject({ method: 'POST', url, headers: authed(token), ...(payload ? { payload } : {}) });
}

function patchTask(id: string, payload: object, token = alice.token) {
  return t.api.app.inject({ method: 'PATCH', url: `/api/v1/tasks/${id}`, headers: authed(token), payload });
}

function act(id: string, action: string, token = alice.token) {
  return post(`/api/v1/tasks/${id}/${action}`, token);
}

async function taskRow(id: string) {
  return t.env.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** The queued job of a task's version, or undefined. */
function job(taskId: string, version: number) {
  return t.api.queue.queue.getJob(`${taskId}.${version}`);
}

/** A task of alice's put straight into `status` (attempts 1 when it is mid-run), as the worker would leave it. */
async function taskIn(status: TaskStatus, overrides: Record<string, unknown> = {}): Promise<TaskResponse> {
  const task = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR), ...overrides });
  await t.env.db
    .updateTable('tasks')
    .set({
      status,
      attempts: status === 'retrying' || status === 'running' || status === 'failed' ? 1 : 0,
      next_run_at: ['completed', 'failed', 'cancelled'].includes(status) ? null : new Date(task.nextRunAt!),
    })
    .where('id', '=', task.id)
    .execute();
  return task;
}

const EXPECTED_STATUS: Record<TaskAction, (from: TaskStatus) => TaskStatus> = {
  run: () => 'pending',
  pause: () => 'paused',
  resume: () => 'pending',
  cancel: () => 'cancelled',
  retry: () => 'pending',
  'reset-retries': (from) => from,
};

describe('task actions follow the contract’s transition table', () => {
  const cases = TASK_ACTIONS.flatMap((action) =>
    TASK_STATUSES.map((from) => ({ action, from, allowed: TASK_TRANSITIONS[action].from.includes(from) })),
  );

  it.for(cases)('$action from $from: allowed $allowed', async ({ action, from, allowed }) => {
    const task = await taskIn(from);
    const before = await taskRow(task.id);
    const response = await act(task.id, action);

    if (!allowed) {
      expect(response.statusCode, response.body).toBe(409);
      expect(response.json().message).toContain(`is ${from}`);
      expect(await taskRow(task.id)).toEqual(before);
      return;
    }
    expect(response.statusCode, response.body).toBe(200);
    const after = response.json<TaskResponse>();
    expect(after.status).toBe(EXPECTED_STATUS[action](from));
    const row = await taskRow(task.id);
    expect(row.version).toBe(action === 'reset-retries' ? before.version : before.version + 1);
    // reset-retries changes no schedule: the queued job stays as it was.
    if (action === 'reset-retries') {
      expect(row.attempts).toBe(0);
      return;
    }
    // The job queued for the old version is gone; a task that waits for a run has one for its new version.
    expect(await job(task.id, before.version)).toBeUndefined();
    const waiting = row.status === 'pending' || row.status === 'retrying';
    expect(Boolean(await job(task.id, row.version))).toBe(waiting);
  });
});

describe('POST /api/v1/tasks/:id/<action>', () => {
  it('run makes a pending one-off run now, as a fresh run', async () => {
    const task = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });
    const before = await taskRow(task.id);
    const response = await act(task.id, 'run');

    expect(response.statusCode).toBe(200);
    const row = await taskRow(task.id);
    expect(row.next_run_at!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(row.run_id).not.toBe(before.run_id);
    const queued = await job(task.id, row.version);
    expect(queued?.data).toEqual({ taskId: task.id, version: row.version });
    expect(queued!.delay).toBe(0);
  });

  it('run on a paused task remembers to pause it again after that run', async () => {
    const task = await taskIn('paused', { cron: '0 9 * * 1-5', scheduledAt: undefined, timezone: 'Europe/Berlin' });
    expect((await act(task.id, 'run')).json<TaskResponse>().status).toBe('pending');
    expect((await taskRow(task.id)).hold_after_run).toBe(true);
  });

  it('resume of a task with attempts in its run goes back to retrying', async () => {
    const task = await taskIn('retrying');
    await act(task.id, 'pause');
    const resumed = await act(task.id, 'resume');
    expect(resumed.json<TaskResponse>().status).toBe('retrying');
  });

  it('resume of an overdue task queues it to run at once', async () => {
    const task = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });
    await act(task.id, 'pause');
    await t.env.db
      .updateTable('tasks')
      .set({ next_run_at: new Date(Date.now() - HOUR) })
      .where('id', '=', task.id)
      .execute();
    await act(task.id, 'resume');
    const row = await taskRow(task.id);
    expect((await job(task.id, row.version))!.delay).toBe(0);
  });

  it('cancel clears the next run and withdraws the queued job', async () => {
    const task = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });
    expect(await job(task.id, 1)).toBeDefined();
    const response = await act(task.id, 'cancel');
    expect(response.json<TaskResponse>()).toMatchObject({ status: 'cancelled', nextRunAt: null });
    expect(await job(task.id, 1)).toBeUndefined();
    // No job of any version is left waiting for it.
    const waiting = await t.api.queue.queue.getJobs(['delayed', 'wait', 'prioritized']);
    expect(waiting.filter((queued) => queued.data.taskId === task.id)).toEqual([]);
  });

  it('retry re-drives a failed one-off task as a fresh run with attempts reset', async () => {
    const task = await taskIn('failed');
    const before = await taskRow(task.id);
    const response = await act(task.id, 'retry');
    expect(response.json<TaskResponse>()).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await taskRow(task.id)).run_id).not.toBe(before.run_id);
  });

  it('retry refuses a cancelled recurring task (409 naming its status)', async () => {
    const task = await taskIn('cancelled', { cron: '*/5 * * * *', scheduledAt: undefined });
    const response = await act(task.id, 'retry');
    expect(response.statusCode).toBe(409);
    expect(response.json().message).toMatch(/cancelled and recurring/);
  });

  it('reset-retries sets the attempt count of the current run to 0 and nothing else', async () => {
    const task = await taskIn('retrying');
    const response = await act(task.id, 'reset-retries');
    expect(response.json<TaskResponse>()).toMatchObject({ status: 'retrying', attempts: 0 });
  });

  it("answers 404 for another user's task and for a missing one, and changes nothing", async () => {
    const task = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });
    const before = await taskRow(task.id);
    expect((await act(task.id, 'cancel', bob.token)).statusCode).toBe(404);
    expect((await act(randomUUID(), 'cancel')).statusCode).toBe(404);
    expect(await taskRow(task.id)).toEqual(before);
  });

  it('answers 400 naming the id for a malformed one, and 404 for an unknown action', async () => {
    const response = await act('not-a-uuid', 'pause');
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(/params\/id/);
    const task = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });
    expect((await act(task.id, 'explode')).statusCode).toBe(404);
  });

  it('ignores a JSON body sent with an action', async () => {
    const task = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });
    const response = await post(`/api/v1/tasks/${task.id}/pause`, alice.token, {});
    expect(response.statusCode, response.body).toBe(200);
  });
});

describe('POST /api/v1/tasks/bulk', () => {
  it('applies the action to each id alone: a foreign, missing or disallowed id fails without stopping the others', async () => {
    const pending = await createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) });
    const completed = await taskIn('completed');
    const foreign = await createTask(t.api.app, bob.token, { scheduledAt: inFuture(HOUR) });
    const missing = randomUUID();

    const response = await post('/api/v1/tasks/bulk', alice.token, {
      action: 'pause',
      ids: [pending.id, completed.id, foreign.id, missing],
    });

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      results: [
        { id: pending.id, ok: true },
        { id: completed.id, ok: false, statusCode: 409, message: 'cannot pause a task that is completed' },
        { id: foreign.id, ok: false, statusCode: 404, message: 'task not found' },
        { id: missing, ok: false, statusCode: 404, message: 'task not found' },
      ],
    });
    expect((await taskRow(pending.id)).status).toBe('paused');
    expect((await taskRow(foreign.id)).status).toBe('pending');
  });

  it.for(['pause', 'resume', 'cancel', 'delete', 'run'] as const)('%s many tasks at once', async (action) => {
    const tasks = await Promise.all(Array.from({ length: 5 }, () => createTask(t.api.app, alice.token, { scheduledAt: inFuture(HOUR) })));
    if (action === 'resume') await post('/api/v1/tasks/bulk', alice.token, { action: 'pause', ids: tasks.map((task) => task.id) });
    const response = await post('/api/v1/tasks/bulk', alice.token, { action, ids: tasks.map((task) => task.id) });
    expect(response.json().results.every((result: { ok: boolean }) => result.ok)).toBe(true);
    const rows = await t.env.db
      .selectFrom('tasks')
      .select(['status', 'version', 'id'])
      .where(
        'id',
        'in',
        tasks.map((task) => task.id),
      )
      .execute();
    if (action === 'delete') {
      expect(rows).toHaveLength(0);
      for (const task of tasks) expect(await job(task.id, 1)).toBeUndefined();
      return;
    }
    const expected = { pause: 'paused', resume: 'pending', cancel: 'cancelled', run: 'pending' }[action];
    expect(rows.map((row) => row.status)).toEqual(Array(5).fill(expected));
    for (const row of rows) expect(Boolean(await job(row.id, row.version))).toBe(expected === 'pending');
  });

  it.for([
    [{ action: 'pause', ids: [] }, /body\/ids/],
    [{ action: 'pause', ids: Array.from({ length: 101 }, () => randomUUID()) }, /body\/ids/],
    [{ action: 'retry', ids: [randomUUID()] }, /body\/action/],
    [{ action: 'pause', ids: ['nope'] }, /body\/ids\/0/],
    [{ action: 'pause', ids: [randomUUID()], extra: 1 }, /extra/],
  ] as const)('refuses %j with a 400 naming the field', async ([payload, field]) => {
    const response = await post('/api/v1/tasks/bulk', alice.token, payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(field);
  });
});

describe('recurring tasks through the API', () => {
  it('creates a cron task whose nextRunAt is the next occurrence in its zone', async () => {
    const task = await createTask(t.api.app, alice.token, { cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' });
    expect(task).toMatchObject({ cron: '0 9 * * 1-5', timezone: 'Europe/Berlin', scheduledAt: null, status: 'pending' });
    const next = new Date(task.nextRunAt!);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    const berlin = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    }).format(next);
    expect(berlin).toMatch(/^(Mon|Tue|Wed|Thu|Fri),? 09:00$/);
    const queued = await job(task.id, 1);
    expect(queued!.delay).toBeGreaterThan(0);
  });

  it.for([
    [{ cron: '*/5 * * * *', scheduledAt: new Date().toISOString() }, 'body/cron'],
    [{ cron: '* * *' }, 'body/cron'],
    [{ cron: 'every day' }, 'body/cron'],
    [{ cron: '0 9 * * *', timezone: 'Mars/Olympus' }, 'body/timezone'],
  ] as const)('refuses %j with a 400 naming %s, storing nothing', async ([fields, field]) => {
    const before = await t.env.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const response = await post('/api/v1/tasks', alice.token, { name: 'bad', url: 'https://example.com', ...fields });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toContain(field);
    const after = await t.env.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('changing the cron reschedules: the old job goes, a new one waits for the new next occurrence', async () => {
    const task = await createTask(t.api.app, alice.token, { cron: '0 0 1 1 *' });
    const response = await patchTask(task.id, { cron: '*/10 * * * *' });
    expect(response.statusCode, response.body).toBe(200);
    const updated = response.json<TaskResponse>();
    expect(new Date(updated.nextRunAt!).getTime() - Date.now()).toBeLessThanOrEqual(10 * 60_000);
    expect(await job(task.id, 1)).toBeUndefined();
    expect(await job(task.id, 2)).toBeDefined();
  });

  it('turns a cron task into a one-off only with a scheduledAt, and never takes a scheduledAt alone', async () => {
    const task = await createTask(t.api.app, alice.token, { cron: '0 0 1 1 *' });
    const patch = (payload: object) => patchTask(task.id, payload);
    const alone = await patch({ scheduledAt: inFuture(HOUR) });
    expect(alone.statusCode).toBe(400);
    expect(alone.json().message).toContain('body/scheduledAt');
    const noTime = await patch({ cron: null });
    expect(noTime.statusCode).toBe(400);
    expect(noTime.json().message).toContain('body/scheduledAt');
    const at = inFuture(HOUR);
    const oneOff = await patch({ cron: null, scheduledAt: at });
    expect(oneOff.json<TaskResponse>()).toMatchObject({ cron: null, scheduledAt: at, nextRunAt: at });
  });

  it('a new timezone moves the cron schedule', async () => {
    const task = await createTask(t.api.app, alice.token, { cron: '0 12 * * *' });
    const response = await patchTask(task.id, { timezone: 'Asia/Kolkata' });
    const updated = response.json<TaskResponse>();
    expect(updated.timezone).toBe('Asia/Kolkata');
    expect(new Date(updated.nextRunAt!).getUTCMinutes()).toBe(30);
  });
});
