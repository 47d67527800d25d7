import { randomUUID } from 'node:crypto';
import {
  InvalidTransitionError,
  NotFoundError,
  actOnTask,
  actOnTasks,
  createTask,
  deleteTask,
  updateTask,
  type Actor,
} from '@punctual/core';
import { applyTaskAction, insertUser } from '@punctual/db';
import type { TaskStatus } from '@punctual/scheduling';
import { useTaskEnvironment } from '@punctual/testing';
import { beforeAll, describe, expect, it } from 'vitest';

// Every operation on a task from every status, through the real statements against Postgres and the real queue. The
// expected values below are the contract's action table written out by hand: the oracle the transition table in
// @punctual/scheduling is checked against, not read from it.

const t = useTaskEnvironment({ email: 'owner@example.com' });
let stranger: Actor;

const HOUR = 3_600_000;

beforeAll(async () => {
  const other = await insertUser(t.env.db, { email: 'other@example.com', passwordHash: 'x' });
  stranger = { userId: other!.id, role: 'user' };
});

type Kind = 'one-off' | 'recurring';
type Operation = 'update' | 'delete' | 'run' | 'pause' | 'resume' | 'cancel' | 'retry' | 'reset-retries';
const OPERATIONS: readonly Operation[] = ['update', 'delete', 'run', 'pause', 'resume', 'cancel', 'retry', 'reset-retries'];
const STATUSES = ['pending', 'running', 'retrying', 'completed', 'failed', 'cancelled', 'paused'] as const;

/**
 * Attempts made in the current run, as the worker would leave a task in each status. A recurring paused task is
 * paused mid-run (attempts behind it) so that resume's two outcomes are both exercised.
 */
function attemptsIn(status: TaskStatus, kind: Kind): number {
  if (status === 'paused') return kind === 'recurring' ? 2 : 0;
  return { pending: 0, running: 1, retrying: 1, completed: 1, failed: 3, cancelled: 0 }[status];
}

const X = 409;
type Outcome = TaskStatus | 'removed' | typeof X;
// Columns: pending, running, retrying, completed, failed, cancelled, paused.
const ONE_OFF: Record<Operation, readonly Outcome[]> = {
  update: ['pending', X, 'retrying', X, X, X, 'paused'],
  delete: ['removed', 'removed', 'removed', 'removed', 'removed', 'removed', 'removed'],
  run: ['pending', X, 'pending', 'pending', 'pending', X, 'pending'],
  pause: ['paused', X, 'paused', X, X, X, X],
  resume: [X, X, X, X, X, X, 'pending'],
  cancel: ['cancelled', 'cancelled', 'cancelled', X, X, X, 'cancelled'],
  retry: [X, X, X, 'pending', 'pending', 'pending', X],
  'reset-retries': ['pending', 'running', 'retrying', 'completed', 'failed', 'cancelled', 'paused'],
};
// A recurring task is never re-driven by retry, and its paused run has attempts behind it, so resume makes it retrying.
const RECURRING: Record<Operation, readonly Outcome[]> = {
  ...ONE_OFF,
  resume: [X, X, X, X, X, X, 'retrying'],
  retry: [X, X, X, X, X, X, X],
};

/** What an allowed operation writes besides the status. */
interface Effects {
  bumpsVersion: boolean;
  newRun: boolean;
  attempts: 'zero' | 'kept';
  nextRunAt: 'now' | 'kept' | 'none';
  leaseEnds: boolean;
}
const EFFECTS: Record<Exclude<Operation, 'delete'>, Effects> = {
  // A rename: nothing about the schedule changes.
  update: { bumpsVersion: false, newRun: false, attempts: 'kept', nextRunAt: 'kept', leaseEnds: false },
  run: { bumpsVersion: true, newRun: true, attempts: 'zero', nextRunAt: 'now', leaseEnds: true },
  pause: { bumpsVersion: true, newRun: false, attempts: 'kept', nextRunAt: 'kept', leaseEnds: false },
  resume: { bumpsVersion: true, newRun: false, attempts: 'kept', nextRunAt: 'kept', leaseEnds: false },
  cancel: { bumpsVersion: true, newRun: false, attempts: 'kept', nextRunAt: 'none', leaseEnds: true },
  retry: { bumpsVersion: true, newRun: true, attempts: 'zero', nextRunAt: 'now', leaseEnds: true },
  'reset-retries': { bumpsVersion: false, newRun: false, attempts: 'zero', nextRunAt: 'kept', leaseEnds: false },
};

async function taskRow(id: string) {
  return t.env.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
}

async function hasJob(taskId: string, version: number): Promise<boolean> {
  return Boolean(await t.queue.queue.getJob(`${taskId}.${version}`));
}

/** A task of the actor's put straight into `status`, as the worker would leave it; its creation queued a job for version 1. */
async function taskIn(status: TaskStatus, kind: Kind, owner: Actor = t.actor) {
  const schedule = kind === 'recurring' ? { cron: '0 9 * * 1-5' } : { scheduledAt: new Date(Date.now() + HOUR).toISOString() };
  const task = await createTask(t.tasks, owner, { name: 'matrix', url: 'https://example.com/hook', ...schedule });
  const finished = status === 'completed' || status === 'failed' || status === 'cancelled';
  await t.env.db
    .updateTable('tasks')
    .set({
      status,
      attempts: attemptsIn(status, kind),
      next_run_at: finished ? null : new Date(task.nextRunAt!),
      lease_expires_at: status === 'running' ? new Date(Date.now() + HOUR) : null,
    })
    .where('id', '=', task.id)
    .execute();
  return (await taskRow(task.id))!;
}

function apply(operation: Operation, id: string, who: Actor = t.actor): Promise<unknown> {
  if (operation === 'update') return updateTask(t.tasks, who, id, { name: 'renamed' });
  if (operation === 'delete') return deleteTask(t.tasks, who, id);
  return actOnTask(t.tasks, who, id, operation);
}

const cases = OPERATIONS.flatMap((operation) =>
  (['one-off', 'recurring'] as const).flatMap((kind) =>
    STATUSES.map((from, column) => ({ operation, kind, from, expected: (kind === 'one-off' ? ONE_OFF : RECURRING)[operation][column]! })),
  ),
);

describe('every operation from every status, against Postgres and the queue', () => {
  it('covers 8 operations × 7 statuses × one-off and recurring', () => {
    expect(cases).toHaveLength(8 * 7 * 2);
  });

  it.for(cases.filter((c) => c.expected === X))(
    'refuses $operation on a $kind task that is $from: 409 naming the status, nothing changed',
    async ({ operation, kind, from }) => {
      const before = await taskIn(from, kind);
      const becauseRecurring = operation === 'retry' && kind === 'recurring' && ONE_OFF.retry[STATUSES.indexOf(from)] !== X;
      const message = becauseRecurring
        ? `cannot retry a task that is ${from} and recurring (retry re-drives one-off tasks)`
        : `cannot ${operation} a task that is ${from}`;

      const refusal = apply(operation, before.id);

      await expect(refusal).rejects.toBeInstanceOf(InvalidTransitionError);
      await expect(refusal).rejects.toMatchObject({ statusCode: 409, code: 'PUNCTUAL_INVALID_TRANSITION', message });
      expect(await taskRow(before.id)).toEqual(before);
      expect(await hasJob(before.id, before.version)).toBe(true);
    },
  );

  it.for(cases.filter((c) => c.expected === 'removed'))(
    'delete removes a $kind task that is $from, and withdraws its queued job',
    async ({ kind, from }) => {
      const before = await taskIn(from, kind);
      await deleteTask(t.tasks, t.actor, before.id);
      expect(await taskRow(before.id)).toBeUndefined();
      expect(await hasJob(before.id, before.version)).toBe(false);
    },
  );

  it.for(cases.filter((c) => c.expected !== X && c.expected !== 'removed'))(
    '$operation on a $kind task that is $from → $expected',
    async ({ operation, kind, from, expected }) => {
      const before = await taskIn(from, kind);
      const startedAt = Date.now();

      await apply(operation, before.id);

      const after = (await taskRow(before.id))!;
      const effects = EFFECTS[operation as Exclude<Operation, 'delete'>];
      expect(after.status).toBe(expected);
      expect(after.version).toBe(effects.bumpsVersion ? before.version + 1 : before.version);
      if (effects.newRun) expect(after.run_id).not.toBe(before.run_id);
      else expect(after.run_id).toBe(before.run_id);
      expect(after.attempts).toBe(effects.attempts === 'zero' ? 0 : before.attempts);
      if (effects.nextRunAt === 'kept') expect(after.next_run_at).toEqual(before.next_run_at);
      if (effects.nextRunAt === 'none') expect(after.next_run_at).toBeNull();
      if (effects.nextRunAt === 'now') {
        // Postgres' now() is the transaction's start: within the call, give or take clock skew with the test process.
        expect(after.next_run_at!.getTime()).toBeGreaterThanOrEqual(startedAt - 5_000);
        expect(after.next_run_at!.getTime()).toBeLessThanOrEqual(Date.now() + 5_000);
      }
      expect(after.lease_expires_at).toEqual(effects.leaseEnds ? null : before.lease_expires_at);
      // Only a run made from paused is marked to pause again afterwards.
      expect(after.hold_after_run).toBe(operation === 'run' && from === 'paused');

      // The queue follows the version: the old job is withdrawn when the version moved, and a task that now waits for
      // a run has a job for its new version. An operation that keeps the version leaves the queued job alone.
      if (effects.bumpsVersion) {
        expect(await hasJob(before.id, before.version)).toBe(false);
        expect(await hasJob(before.id, after.version)).toBe(expected === 'pending' || expected === 'retrying');
      } else {
        expect(await hasJob(before.id, before.version)).toBe(true);
      }
    },
  );
});

describe('DELETE and bulk delete take the same path', () => {
  it("refuses a missing task and another user's task with 404, deleting nothing", async () => {
    const theirs = await taskIn('pending', 'one-off', stranger);
    await expect(deleteTask(t.tasks, t.actor, randomUUID())).rejects.toBeInstanceOf(NotFoundError);
    await expect(deleteTask(t.tasks, t.actor, theirs.id)).rejects.toMatchObject({ statusCode: 404, message: 'task not found' });
    expect(await taskRow(theirs.id)).toEqual(theirs);
    expect(await hasJob(theirs.id, theirs.version)).toBe(true);
  });

  it('answers 404 to the second of two deletes of one task', async () => {
    const task = await taskIn('pending', 'one-off');
    await deleteTask(t.tasks, t.actor, task.id);
    await expect(deleteTask(t.tasks, t.actor, task.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('bulk delete removes the visible tasks and withdraws their jobs, failing the others alone', async () => {
    const mine = await Promise.all([taskIn('pending', 'one-off'), taskIn('paused', 'recurring')]);
    const theirs = await taskIn('pending', 'one-off', stranger);
    const results = await actOnTasks(t.tasks, t.actor, [mine[0].id, theirs.id, mine[1].id], 'delete');
    expect(results).toEqual([
      { id: mine[0].id, ok: true },
      { id: theirs.id, ok: false, statusCode: 404, message: 'task not found' },
      { id: mine[1].id, ok: true },
    ]);
    for (const task of mine) {
      expect(await taskRow(task.id)).toBeUndefined();
      expect(await hasJob(task.id, task.version)).toBe(false);
    }
    expect(await taskRow(theirs.id)).toEqual(theirs);
  });
});

describe('applyTaskAction', () => {
  it('returns the version each row had before the action, read in the same statement', async () => {
    const moved = await taskIn('pending', 'one-off');
    await t.env.db.updateTable('tasks').set({ version: 7 }).where('id', '=', moved.id).execute();
    const kept = await taskIn('retrying', 'one-off');
    const scope = { kind: 'user', userId: t.actor.userId } as const;

    const paused = await applyTaskAction(t.env.db, { scope, ids: [moved.id], action: 'pause' });
    const reset = await applyTaskAction(t.env.db, { scope, ids: [kept.id], action: 'reset-retries' });
    const deleted = await applyTaskAction(t.env.db, { scope, ids: [moved.id], action: 'delete' });

    expect(paused.changed.map((row) => [row.version, row.previous_version])).toEqual([[8, 7]]);
    expect(reset.changed.map((row) => [row.version, row.previous_version])).toEqual([[kept.version, kept.version]]);
    expect(deleted.changed.map((row) => [row.version, row.previous_version])).toEqual([[8, 8]]);
  });
});
