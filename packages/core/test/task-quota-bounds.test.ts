import { randomUUID } from 'node:crypto';
import {
  AccountDisabledError,
  AccountGoneError,
  QuotaExceededError,
  SessionEndedError,
  createTask,
  createTaskIdempotently,
  sessionActor,
  type Actor,
  type TaskContext,
} from '@punctual/core';
import { applyTaskAction, insertUser } from '@punctual/db';
import { sql } from 'kysely';
import { useTaskEnvironment } from '@punctual/testing';
import { describe, expect, it } from 'vitest';

// The quota bound (migration 0009): creates compare a per-user upper bound of the live tasks instead of counting them,
// and count only when the bound says the quota may be near. The quota must stay exact through every way a task comes
// to life or leaves it.

const t = useTaskEnvironment({ email: 'bound-owner@example.com' });

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
const body = (name: string) => ({ name, url: 'https://example.com/hook', scheduledAt: inAnHour() });

async function newActor(): Promise<Actor> {
  const user = await insertUser(t.env.db, { email: `bound-${randomUUID()}@example.com`, passwordHash: 'x' });
  return { userId: user!.id, role: 'user' };
}

function contextWithQuota(maxTasksPerUser: number): TaskContext {
  return { ...t.tasks, limits: { ...t.tasks.limits, maxTasksPerUser } };
}

async function boundOf(actor: Actor): Promise<number | null> {
  const row = await t.env.db.selectFrom('task_quota_bounds').select('live_at_most').where('user_id', '=', actor.userId).executeTakeFirst();
  return row?.live_at_most == null ? null : Number(row.live_at_most);
}

async function liveCount(actor: Actor): Promise<number> {
  const { n } = await t.env.db
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', actor.userId)
    .where('status', 'not in', ['completed', 'failed', 'cancelled'])
    .executeTakeFirstOrThrow();
  return Number(n);
}

describe('the task quota bound', () => {
  it('is made by a user’s first create and then follows every create, batched or alone, keyed or not', async () => {
    const actor = await newActor();
    const context = contextWithQuota(1_000);
    expect(await boundOf(actor)).toBeNull();
    await createTask(context, actor, body('first'));
    expect(await boundOf(actor)).toBe(1);
    await Promise.all(Array.from({ length: 30 }, (_, index) => createTask(context, actor, body(`batched-${index}`))));
    await createTaskIdempotently(context, actor, body('keyed'), { idempotencyKey: randomUUID() });
    expect(await boundOf(actor)).toBe(32);
    expect(await liveCount(actor)).toBe(32);
  });

  it('only grows when tasks finish, and a create at the bound counts again: the quota stays exact', async () => {
    const actor = await newActor();
    const context = contextWithQuota(3);
    const tasks = await Promise.all([1, 2, 3].map((index) => createTask(context, actor, body(`t${index}`))));
    await expect(createTask(context, actor, body('over'))).rejects.toBeInstanceOf(QuotaExceededError);
    // Finished as the worker finishes a task: nothing writes the bound, which stays above the live count.
    await t.updateTask(tasks[0]!.id, { status: 'completed' });
    await t.env.db.deleteFrom('tasks').where('id', '=', tasks[1]!.id).execute();
    expect(await boundOf(actor)).toBe(3);
    const results = await Promise.allSettled([1, 2, 3].map((index) => createTask(context, actor, body(`again-${index}`))));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(2);
    const refused = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toBeInstanceOf(QuotaExceededError);
    expect(await liveCount(actor)).toBe(3);
    expect(await boundOf(actor)).toBe(3);
  });

  it('counts a finished task brought back to life, so creates cannot pass the quota after it', async () => {
    const actor = await newActor();
    const context = contextWithQuota(2);
    const [first] = await Promise.all([createTask(context, actor, body('a')), createTask(context, actor, body('b'))]);
    await t.updateTask(first.id, { status: 'completed' });
    // The bound is 2 here; a revival (retry, run) adds one, so the next create must count (2 live) and refuse.
    await t.updateTask(first.id, { status: 'pending' });
    expect(await boundOf(actor)).toBe(3);
    await expect(createTask(context, actor, body('c'))).rejects.toBeInstanceOf(QuotaExceededError);
    expect(await liveCount(actor)).toBe(2);
  });

  it('is counted for a user whose live tasks were written without it (no row yet)', async () => {
    const actor = await newActor();
    const context = contextWithQuota(5);
    await sql`INSERT INTO tasks (user_id, name, url, method, run_id, max_retries, backoff, timeout_ms, notify)
              SELECT ${actor.userId}, 'seed', 'https://example.com', 'GET', gen_random_uuid(), 0, '{}', 1000, '{}'
              FROM generate_series(1, 4)`.execute(t.env.db);
    expect(await boundOf(actor)).toBeNull();
    const results = await Promise.allSettled([1, 2, 3].map((index) => createTask(context, actor, body(`new-${index}`))));
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(await liveCount(actor)).toBe(5);
    expect(await boundOf(actor)).toBe(5);
  });
});

describe('the batched account lookups of JWT requests', () => {
  it('answers each of many concurrent requests for its own account', async () => {
    const [active, disabled, ended] = await Promise.all([newActor(), newActor(), newActor()]);
    await t.env.db.updateTable('users').set({ disabled: true }).where('id', '=', disabled.userId).execute();
    await t.env.db.updateTable('users').set({ session_version: 3 }).where('id', '=', ended.userId).execute();
    const claims = [
      { sub: active.userId, sv: 0 },
      { sub: disabled.userId, sv: 0 },
      { sub: randomUUID(), sv: 0 },
      { sub: ended.userId, sv: 2 },
      { sub: 'not-a-uuid', sv: 0 },
      { sub: ended.userId, sv: 3 },
      { sub: active.userId, sv: 0 },
    ];
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => claims.map((claim) => sessionActor(t.env.db, claim))).flat());
    results.forEach((result, index) => {
      const claim = claims[index % claims.length]!;
      switch (index % claims.length) {
        case 1:
          expect(result.status === 'rejected' && result.reason).toBeInstanceOf(AccountDisabledError);
          break;
        case 2:
          expect(result.status === 'rejected' && result.reason).toBeInstanceOf(AccountGoneError);
          break;
        case 3:
          expect(result.status === 'rejected' && result.reason).toBeInstanceOf(SessionEndedError);
          break;
        case 4:
          // An id no account can have fails alone, not the lookups it would have shared a statement with.
          expect(result.status === 'rejected' && result.reason).toBeInstanceOf(AccountGoneError);
          break;
        default:
          expect(result).toEqual({ status: 'fulfilled', value: expect.objectContaining({ userId: claim.sub, role: 'user' }) });
      }
    });
  });

  it('sees a change to the account made before the request', async () => {
    const actor = await newActor();
    await expect(sessionActor(t.env.db, { sub: actor.userId, sv: 0 })).resolves.toMatchObject({ userId: actor.userId });
    await t.env.db.updateTable('users').set({ disabled: true }).where('id', '=', actor.userId).execute();
    await expect(sessionActor(t.env.db, { sub: actor.userId, sv: 0 })).rejects.toBeInstanceOf(AccountDisabledError);
  });
});

describe('an admin bulk action reviving the tasks of several owners', () => {
  it('locks their bounds in user-id order first, so a create batch holding one of them cannot deadlock with it', async () => {
    const context = contextWithQuota(1_000);
    const [low, high] = (await Promise.all([newActor(), newActor()])).sort((a, b) => (a.userId < b.userId ? -1 : 1));
    // The higher owner's task comes first in the table and in its primary key, so the UPDATE meets it first.
    const highTask = await createTask(context, high, body('high'));
    const lowTask = await createTask(context, low, body('low'));
    const firstId = `00000000-0000-4000-8000-${randomUUID().slice(-12)}`;
    const lastId = `ffffffff-0000-4000-8000-${randomUUID().slice(-12)}`;
    await sql`UPDATE tasks SET id = ${firstId}, status = 'completed', next_run_at = NULL WHERE id = ${highTask.id}`.execute(t.env.db);
    await sql`UPDATE tasks SET id = ${lastId}, status = 'completed', next_run_at = NULL WHERE id = ${lowTask.id}`.execute(t.env.db);

    // A create batch's order: the lower owner's bound first, then (after the bulk action started) the higher's.
    const batch = await t.env.db.connection().execute(async (connection) => {
      await sql`BEGIN`.execute(connection);
      await sql`SELECT 1 FROM task_quota_bounds WHERE user_id = ${low.userId} FOR UPDATE`.execute(connection);
      const bulk = applyTaskAction(t.env.db, { scope: { kind: 'admin' }, ids: [firstId, lastId], action: 'run' }).then(
        (result) => ({ changed: result.changed.length }),
        (error: unknown) => ({ error: (error as Error).message }),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const second = await sql`SELECT 1 FROM task_quota_bounds WHERE user_id = ${high.userId} FOR UPDATE`.execute(connection).then(
        () => 'locked',
        (error: unknown) => (error as Error).message,
      );
      await sql`COMMIT`.execute(connection);
      return { second, bulk: await bulk };
    });
    // Without the ordered lock, Postgres found a deadlock after deadlock_timeout and aborted one side.
    expect(batch).toEqual({ second: 'locked', bulk: { changed: 2 } });
    expect(await boundOf(low)).toBe(2);
    expect(await boundOf(high)).toBe(2);
  });
});
