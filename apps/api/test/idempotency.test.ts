import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authed, taskBody, type TaskResponse, useTestApp } from './test-app.js';

const t = useTestApp({ users: ['alice', 'bob'] });
const { alice, bob } = t.users;

const HOUR = 3_600_000;
const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();

function create(token: string, payload: Record<string, unknown>, idempotencyKey?: string) {
  const headers = { ...authed(token), ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }) };
  return t.api.app.inject({ method: 'POST', url: '/api/v1/tasks', headers, payload });
}

/** A body whose name is unique to the test, so its rows can be counted. */
function uniqueBody(overrides: Record<string, unknown> = {}) {
  return taskBody({ name: `idem ${randomUUID()}`, scheduledAt: inFuture(HOUR), ...overrides });
}

async function taskCount(userId: string, name: string): Promise<number> {
  const rows = await t.env.db.selectFrom('tasks').select('id').where('user_id', '=', userId).where('name', '=', name).execute();
  return rows.length;
}

/** Every job in this file's queue; tests run one at a time, so a difference is what the test queued. */
async function queuedJobs(): Promise<number> {
  const counts = await t.api.queue.queue.getJobCounts('waiting', 'delayed', 'prioritized', 'active');
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

describe('POST /api/v1/tasks with Idempotency-Key', () => {
  it('returns the original task with 200 and Idempotent-Replayed on a repeat, creating and queueing nothing', async () => {
    const body = uniqueBody({ tags: ['a', 'b'], headers: { 'X-Trace': '1' } });
    const jobsBefore = await queuedJobs();

    const first = await create(alice.token, body, 'key-replay');
    const repeat = await create(alice.token, body, 'key-replay');

    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(repeat.statusCode, repeat.body).toBe(200);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    const task = first.json<TaskResponse>();
    expect(repeat.json<TaskResponse>()).toEqual(task);
    expect(repeat.headers.location).toBe(`/api/v1/tasks/${task.id}`);
    expect(await taskCount(alice.user.id, body.name as string)).toBe(1);
    expect(await queuedJobs()).toBe(jobsBefore + 1);
  });

  it('treats the same body with its keys in another order as the same request', async () => {
    const body = uniqueBody({ notify: { onFailure: true, onRetry: false }, method: 'POST', body: { b: 1, a: [2, { d: 3, c: 4 }] } });
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    reordered.notify = { onRetry: false, onFailure: true };
    reordered.body = { a: [2, { c: 4, d: 3 }], b: 1 };

    const first = await create(alice.token, body, 'key-order');
    const repeat = await create(alice.token, reordered, 'key-order');

    expect(first.statusCode).toBe(201);
    expect(repeat.statusCode, repeat.body).toBe(200);
    expect(repeat.json<TaskResponse>().id).toBe(first.json<TaskResponse>().id);
  });

  it('refuses the same key with a different body (409) and changes nothing', async () => {
    const body = uniqueBody();
    const first = await create(alice.token, body, 'key-conflict');
    const jobsBefore = await queuedJobs();

    const other = await create(alice.token, { ...body, url: 'https://api.example.com/other' }, 'key-conflict');

    expect(first.statusCode).toBe(201);
    expect(other.statusCode).toBe(409);
    expect(other.json()).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: expect.stringMatching(/idempotency-key was already used with a different request body/),
      code: 'PUNCTUAL_IDEMPOTENCY_KEY_REUSED',
    });
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(await queuedJobs()).toBe(jobsBefore);
    const rows = await t.env.db
      .selectFrom('tasks')
      .select(['id', 'url'])
      .where('user_id', '=', alice.user.id)
      .where('name', '=', body.name as string)
      .execute();
    expect(rows).toEqual([{ id: first.json<TaskResponse>().id, url: 'https://api.example.com/hook' }]);
    // The original body still replays.
    expect((await create(alice.token, body, 'key-conflict')).statusCode).toBe(200);
  });

  it('keeps keys per user: two users with the same key get a task each', async () => {
    const body = uniqueBody();

    const forAlice = await create(alice.token, body, 'key-shared');
    const forBob = await create(bob.token, body, 'key-shared');

    expect(forAlice.statusCode).toBe(201);
    expect(forBob.statusCode).toBe(201);
    expect(forBob.json<TaskResponse>().id).not.toBe(forAlice.json<TaskResponse>().id);
    expect(forBob.json<TaskResponse>().userId).toBe(bob.user.id);
    expect(await taskCount(alice.user.id, body.name as string)).toBe(1);
    expect(await taskCount(bob.user.id, body.name as string)).toBe(1);
  });

  it('creates exactly one task and one job from 10 identical requests sent at once; the others are replays', async () => {
    const body = uniqueBody();
    const jobsBefore = await queuedJobs();

    const responses = await Promise.all(Array.from({ length: 10 }, () => create(alice.token, body, 'key-race')));

    const statuses = responses.map((response) => response.statusCode).sort();
    expect(statuses, responses.map((response) => response.body).join('\n')).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(responses.map((response) => response.json<TaskResponse>().id)).size).toBe(1);
    expect(responses.filter((response) => response.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
    expect(await taskCount(alice.user.id, body.name as string)).toBe(1);
    expect(await queuedJobs()).toBe(jobsBefore + 1);
  });

  it.each([
    ['longer than 255 characters', 'k'.repeat(256)],
    ['empty', ''],
    ['not ASCII', 'clé-1'],
    ['containing a space', 'two words'],
  ])('refuses a key %s with 400 naming headers/idempotency-key', async (_case, key) => {
    const body = uniqueBody();

    const response = await create(alice.token, body, key);

    expect(response.statusCode).toBe(400);
    expect(response.json<{ message: string }>().message).toMatch(/^headers\/idempotency-key /);
    expect(await taskCount(alice.user.id, body.name as string)).toBe(0);
  });

  it('accepts a key of 255 printable characters and leaves other headers alone', async () => {
    const key = `${'~!'.repeat(127)}Z`;
    const response = await t.api.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: { ...authed(alice.token), 'idempotency-key': key, 'x-unrelated': 'anything at all' },
      payload: uniqueBody(),
    });

    expect(key).toHaveLength(255);
    expect(response.statusCode, response.body).toBe(201);
  });

  it('creates a new task when the key is older than 24 h, and binds the key to it', async () => {
    const body = uniqueBody();
    const first = await create(alice.token, body, 'key-expired');
    await t.env.db
      .updateTable('idempotency_keys')
      .set({ created_at: new Date(Date.now() - 25 * HOUR) })
      .where('user_id', '=', alice.user.id)
      .where('key', '=', 'key-expired')
      .execute();

    // Even with another body: the old request is forgotten.
    const fresh = await create(alice.token, { ...body, description: 'a day later' }, 'key-expired');
    const repeat = await create(alice.token, { ...body, description: 'a day later' }, 'key-expired');

    expect(first.statusCode).toBe(201);
    expect(fresh.statusCode, fresh.body).toBe(201);
    expect(fresh.json<TaskResponse>().id).not.toBe(first.json<TaskResponse>().id);
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json<TaskResponse>().id).toBe(fresh.json<TaskResponse>().id);
    expect(await taskCount(alice.user.id, body.name as string)).toBe(2);
  });

  it('frees the key when its task is deleted: a repeat creates a new task', async () => {
    const body = uniqueBody();
    const first = await create(alice.token, body, 'key-deleted');
    const id = first.json<TaskResponse>().id;
    const deleted = await t.api.app.inject({ method: 'DELETE', url: `/api/v1/tasks/${id}`, headers: authed(alice.token) });

    const again = await create(alice.token, body, 'key-deleted');

    expect(deleted.statusCode).toBe(204);
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json<TaskResponse>().id).not.toBe(id);
    const keys = await t.env.db
      .selectFrom('idempotency_keys')
      .select('task_id')
      .where('user_id', '=', alice.user.id)
      .where('key', '=', 'key-deleted')
      .execute();
    expect(keys).toEqual([{ task_id: again.json<TaskResponse>().id }]);
  });

  it('creates a task per request when there is no key', async () => {
    const body = uniqueBody();

    const responses = [await create(alice.token, body), await create(alice.token, body)];

    expect(responses.map((response) => response.statusCode)).toEqual([201, 201]);
    expect(await taskCount(alice.user.id, body.name as string)).toBe(2);
  });
});
