import { randomBytes } from 'node:crypto';
import { attemptTiming, createTask, stateAfterAttempt } from '@punctual/core';
import { claimAttempt, finishAttempt } from '@punctual/db';
import { nextOccurrence, type MisfirePolicy } from '@punctual/scheduling';
import { useTaskEnvironment } from '@punctual/testing';
import { describe, expect, it } from 'vitest';

// The after-run rule as recording an attempt applies it: stateAfterAttempt passes the task's misfire policy, the
// attempt's start and MISFIRE_GRACE_MS to nextStateAfterAttempt.
const t = useTaskEnvironment({ email: 'misfire-after-run@example.com', secretsKey: randomBytes(32) });

const MINUTE = 60_000;
const EVERY_MINUTE = { cron: '* * * * *', timezone: 'UTC' };
const SUCCESS = {
  outcome: 'succeeded' as const,
  failure: null,
  statusCode: 200,
  durationMs: 10 * MINUTE,
  error: null,
  responseHeaders: {},
  responseBody: 'ok',
  responseTruncated: false,
  retryAfterMs: null,
};

/** Records a 10-minute attempt of an every-minute task's run due 10 minutes ago; returns the task's next run. */
async function afterLongAttempt(misfire: MisfirePolicy): Promise<{ due: Date; nextRunAt: Date | null; now: number }> {
  const task = await createTask(t.tasks, t.actor, { name: `long ${misfire}`, url: 'https://example.com/long', ...EVERY_MINUTE, misfire });
  const due = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE);
  await t.env.db.updateTable('tasks').set({ next_run_at: due }).where('id', '=', task.id).execute();
  const claimed = await claimAttempt(t.env.db, { taskId: task.id, version: 1, workerId: 'misfire:1', leaseMarginMs: 30_000 });
  expect(claimed).not.toBeNull();
  const now = Date.now();
  const updated = await finishAttempt(t.env.db, {
    claimed: claimed!,
    record: { ...SUCCESS, startedAt: due },
    decide: (row) => stateAfterAttempt(row, SUCCESS, attemptTiming({ misfireGraceMs: MINUTE }, due)),
  });
  return { due, nextRunAt: updated?.next_run_at ?? null, now };
}

describe('the next run after an attempt that outlasted nine occurrences (grace 60 s)', () => {
  it('once: one catch-up run at once, for the first occurrence it missed', async () => {
    const { due, nextRunAt } = await afterLongAttempt('once');
    expect(nextRunAt).toEqual(new Date(due.getTime() + MINUTE));
  });

  it('all: each missed occurrence, the oldest first', async () => {
    const { due, nextRunAt } = await afterLongAttempt('all');
    expect(nextRunAt).toEqual(new Date(due.getTime() + MINUTE));
  });

  it('skip: the first occurrence not yet missed', async () => {
    const { nextRunAt, now } = await afterLongAttempt('skip');
    const expected = [now, Date.now()].map((at) => nextOccurrence(EVERY_MINUTE, new Date(at - MINUTE - 1)).getTime());
    expect(expected).toContain(nextRunAt?.getTime());
  });
});
