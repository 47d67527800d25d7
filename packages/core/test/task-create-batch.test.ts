import { randomUUID } from 'node:crypto';
import {
  AccountGoneError,
  GroupCommit,
  IdempotencyKeyReusedError,
  QuotaExceededError,
  createTask,
  createTaskIdempotently,
  type Actor,
  type TaskContext,
} from '@punctual/core';
import { insertUser } from '@punctual/db';
import { sql } from 'kysely';
import { useTaskEnvironment } from '@punctual/testing';
import { beforeAll, describe, expect, it } from 'vitest';

// Concurrent creates share one INSERT and one queue round trip (GroupCommit); each must still get its own answer, row
// and job, and a create that fails must fail alone.

const t = useTaskEnvironment({ email: 'batch-owner@example.com' });
let other: Actor;

beforeAll(async () => {
  const user = await insertUser(t.env.db, { email: 'batch-other@example.com', passwordHash: 'x' });
  other = { userId: user!.id, role: 'user' };
});

const HOUR = 3_600_000;
const inAnHour = () => new Date(Date.now() + HOUR).toISOString();

/** A context of its own, so its batches hold only this test's creates. */
function freshContext(limits: Partial<TaskContext['limits']> = {}): TaskContext {
  return { ...t.tasks, limits: { ...t.tasks.limits, ...limits } };
}

async function jobOf(taskId: string) {
  return t.queue.queue.getJob(`${taskId}.1`);
}

describe('GroupCommit', () => {
  it('sends a lone item at once, and gathers what arrives while two batches are out', async () => {
    const batches: number[][] = [];
    const releases: (() => void)[] = [];
    const group = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        await new Promise<void>((resolve) => releases.push(resolve));
        return items.map((item) => ({ status: 'fulfilled' as const, value: item * 10 }));
      },
      { maxInFlight: 2, maxBatch: 100 },
    );
    const first = group.submit(1);
    // Not delayed: the batch went out within submit, before any timer or tick.
    expect(batches).toEqual([[1]]);
    const rest = [2, 3, 4, 5].map((item) => group.submit(item));
    expect(batches).toEqual([[1], [2]]);
    releases.shift()!();
    expect(await first).toBe(10);
    // The three that waited go out together as soon as a slot is free.
    expect(batches).toEqual([[1], [2], [3, 4, 5]]);
    while (releases.length > 0) releases.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    while (releases.length > 0) releases.shift()!();
    expect(await Promise.all(rest)).toEqual([20, 30, 40, 50]);
  });

  it('answers each item of a batch on its own', async () => {
    const group = new GroupCommit<number, number>(
      async (items) =>
        items.map((item) =>
          item === 2 ? { status: 'rejected' as const, reason: new Error('two') } : { status: 'fulfilled' as const, value: item },
        ),
      { maxInFlight: 1, maxBatch: 10 },
    );
    const results = await Promise.allSettled([1, 2, 3].map((item) => group.submit(item)));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});

describe('batched creates', () => {
  it('gives concurrent creates of several users each its own task, row and job', async () => {
    const context = freshContext();
    const requests = Array.from({ length: 40 }, (_, index) => ({
      actor: index % 2 === 0 ? t.actor : other,
      name: `batch-${index}`,
    }));
    const tasks = await Promise.all(
      requests.map(({ actor, name }) => createTask(context, actor, { name, url: 'https://example.com/hook', scheduledAt: inAnHour() })),
    );
    expect(tasks.map((task) => task.name)).toEqual(requests.map((request) => request.name));
    expect(new Set(tasks.map((task) => task.id)).size).toBe(40);
    const rows = await t.env.db
      .selectFrom('tasks')
      .select(['id', 'user_id', 'name', 'status'])
      .where(
        'id',
        'in',
        tasks.map((task) => task.id),
      )
      .execute();
    const byId = new Map(rows.map((row) => [row.id, row]));
    tasks.forEach((task, index) => {
      expect(byId.get(task.id)).toEqual({ id: task.id, user_id: requests[index]!.actor.userId, name: task.name, status: 'pending' });
    });
    const jobs = await Promise.all(tasks.map((task) => jobOf(task.id)));
    jobs.forEach((job, index) => expect(job?.data).toMatchObject({ taskId: tasks[index]!.id, version: 1 }));
  });

  it('refuses only the create over the quota; the rest of the batch is stored', async () => {
    // 1,005 allowed and 1,004 live (written without a create, so no quota bound yet): this user is counted, the other
    // far below the quota. The first two creates go out alone, the other three in one batch with one of the near user's.
    const near = (await insertUser(t.env.db, { email: `near-${randomUUID()}@example.com`, passwordHash: 'x' }))!;
    await sql`INSERT INTO tasks (user_id, name, url, method, run_id, max_retries, backoff, timeout_ms, notify)
              SELECT ${near.id}, 'seed', 'https://example.com', 'GET', gen_random_uuid(), 0, '{}', 1000, '{}'
              FROM generate_series(1, 1004)`.execute(t.env.db);
    const context = freshContext({ maxTasksPerUser: 1_005 });
    const nearActor: Actor = { userId: near.id, role: 'user' };
    const attempts = [nearActor, other, nearActor, other, other].map((actor, index) =>
      createTask(context, actor, { name: `quota-${index}`, url: 'https://example.com/hook', scheduledAt: inAnHour() }),
    );
    const results = await Promise.allSettled(attempts);
    const nearResults = [results[0]!, results[2]!];
    expect(nearResults.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(nearResults.find((result) => result.status === 'rejected')?.reason).toBeInstanceOf(QuotaExceededError);
    expect([results[1], results[3], results[4]].map((result) => result?.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const live = await t.env.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('user_id', '=', near.id)
      .executeTakeFirstOrThrow();
    expect(Number(live.n)).toBe(1_005);
  });

  it('fails only the create whose row Postgres refuses, when the whole batch statement fails', async () => {
    const context = freshContext();
    // No such account: its row breaks the foreign key, which fails the batch's one statement. The first two creates
    // go out alone; the ghost's waits with the last ones and shares their batch.
    const ghost: Actor = { userId: randomUUID(), role: 'user' };
    const actors = [t.actor, other, t.actor, ghost, other];
    const results = await Promise.allSettled(
      actors.map((actor, index) =>
        createTask(context, actor, { name: `fk-${index}`, url: 'https://example.com/hook', scheduledAt: inAnHour() }),
      ),
    );
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[3] as PromiseRejectedResult).reason).toBeInstanceOf(AccountGoneError);
    for (const result of results) {
      if (result.status !== 'fulfilled') continue;
      const job = await jobOf(result.value.id);
      expect(job?.data).toMatchObject({ taskId: result.value.id });
    }
  });

  it('keeps an idempotency conflict to its own request among concurrent creates', async () => {
    const context = freshContext();
    const key = randomUUID();
    const body = (name: string) => ({ name, url: 'https://example.com/hook', scheduledAt: inAnHour() });
    const keyed = [createTaskIdempotently(context, t.actor, body('first'), { idempotencyKey: key })];
    const plain = [1, 2, 3].map((index) => createTask(context, t.actor, body(`plain-${index}`)));
    await keyed[0];
    const conflicting = createTaskIdempotently(context, t.actor, body('other body'), { idempotencyKey: key });
    const more = [4, 5].map((index) => createTask(context, t.actor, body(`plain-${index}`)));
    await expect(conflicting).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    const stored = await Promise.all([...plain, ...more]);
    expect(stored.map((task) => task.name)).toEqual(['plain-1', 'plain-2', 'plain-3', 'plain-4', 'plain-5']);
    expect((await keyed[0])!.replayed).toBe(false);
  });
});
