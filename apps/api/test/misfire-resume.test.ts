import { MAX_MISFIRE_REPLAYS, nextOccurrence, type MisfirePolicy } from '@punctual/scheduling';
import { describe, expect, it } from 'vitest';
import { authed, createTask, type TaskResponse, useTestApp } from './test-app.js';

const t = useTestApp({ users: ['alice'] });
const { alice } = t.users;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const EVERY_10_MINUTES = { cron: '*/10 * * * *', timezone: 'UTC' };

function act(id: string, action: string) {
  return t.api.app.inject({ method: 'POST', url: `/api/v1/tasks/${id}/${action}`, headers: authed(alice.token) });
}

/** A paused recurring task waiting for the occurrence `waitingFor`, long past (as if paused before it). */
async function pausedSince(misfire: MisfirePolicy, cron: string, waitingFor: Date): Promise<TaskResponse> {
  const task = await createTask(t.api.app, alice.token, { cron, misfire });
  expect((await act(task.id, 'pause')).statusCode).toBe(200);
  await t.env.db.updateTable('tasks').set({ next_run_at: waitingFor }).where('id', '=', task.id).execute();
  return task;
}

/** Resumes the task; returns its nextRunAt as answered and stored, and the delay of the job queued for it. */
async function resume(id: string): Promise<{ answered: string | null; stored: Date | null; delay: number | undefined }> {
  const response = await act(id, 'resume');
  expect(response.statusCode, response.body).toBe(200);
  const row = await t.env.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const job = await t.api.queue.queue.getJob(`${id}.${row.version}`);
  return { answered: response.json<TaskResponse>().nextRunAt, stored: row.next_run_at, delay: job?.delay };
}

/** The 10-minute occurrence an hour before the last one: 6 occurrences missed, the last 1 to 10 minutes ago. */
function anHourAgo(): Date {
  return new Date(Math.floor(Date.now() / (10 * MINUTE)) * 10 * MINUTE - HOUR);
}

describe('resume of a recurring task that missed occurrences while paused (MISFIRE_GRACE_MS 60 s)', () => {
  it('once: keeps the missed run, which runs at once as the one catch-up run', async () => {
    const missed = anHourAgo();
    const task = await pausedSince('once', EVERY_10_MINUTES.cron, missed);
    const { answered, stored, delay } = await resume(task.id);
    expect(answered).toBe(missed.toISOString());
    expect(stored).toEqual(missed);
    expect(delay).toBe(0);
  });

  it('skip: moves to the first occurrence not yet missed', async () => {
    const task = await pausedSince('skip', EVERY_10_MINUTES.cron, anHourAgo());
    const before = Date.now();
    const { answered, stored, delay } = await resume(task.id);
    const after = Date.now();
    // The first occurrence at or after now - 60 s, whatever instant the resume saw.
    const candidates = [before, after].map((now) => nextOccurrence(EVERY_10_MINUTES, new Date(now - MINUTE - 1)).toISOString());
    expect(candidates).toContain(answered);
    expect(stored?.toISOString()).toBe(answered);
    expect(Date.parse(answered!)).toBeGreaterThanOrEqual(before - MINUTE);
    // Queued for that time: at once when it is already due (within the grace), else after the wait.
    expect(delay).toBeLessThanOrEqual(Math.max(0, Date.parse(answered!) - before));
  });

  it('all: keeps the oldest missed run, so each missed one runs in turn', async () => {
    const missed = anHourAgo();
    const task = await pausedSince('all', EVERY_10_MINUTES.cron, missed);
    const { answered, delay } = await resume(task.id);
    expect(answered).toBe(missed.toISOString());
    expect(delay).toBe(0);
  });

  it(`all: replays only the ${MAX_MISFIRE_REPLAYS} most recent of more missed occurrences`, async () => {
    // Every minute, paused for a day: the run resumes 100 occurrences before the last one missed.
    const task = await pausedSince('all', '* * * * *', new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 24 * HOUR));
    const before = Date.now();
    const { answered } = await resume(task.id);
    const after = Date.now();
    // Occurrences before now - 60 s are missed: the 100th most recent of them.
    const expected = [before, after].map((now) => {
      const lastMissed = Math.ceil((now - MINUTE) / MINUTE) * MINUTE - MINUTE;
      return new Date(lastMissed - (MAX_MISFIRE_REPLAYS - 1) * MINUTE).toISOString();
    });
    expect(expected).toContain(answered);
  });

  it('leaves a run with attempts behind it to its retry, whatever the policy', async () => {
    const task = await pausedSince('skip', EVERY_10_MINUTES.cron, anHourAgo());
    const retryAt = new Date(Date.now() - HOUR + 1_234);
    await t.env.db.updateTable('tasks').set({ attempts: 1, next_run_at: retryAt }).where('id', '=', task.id).execute();
    const response = await act(task.id, 'resume');
    expect(response.json<TaskResponse>()).toMatchObject({ status: 'retrying', nextRunAt: retryAt.toISOString() });
  });

  it('moves each task of a bulk resume by its own policy', async () => {
    const missed = anHourAgo();
    const once = await pausedSince('once', EVERY_10_MINUTES.cron, missed);
    const skip = await pausedSince('skip', EVERY_10_MINUTES.cron, missed);
    const response = await t.api.app.inject({
      method: 'POST',
      url: '/api/v1/tasks/bulk',
      headers: authed(alice.token),
      payload: { action: 'resume', ids: [once.id, skip.id] },
    });
    expect(response.statusCode, response.body).toBe(200);
    const rows = await t.env.db.selectFrom('tasks').select(['id', 'next_run_at']).where('id', 'in', [once.id, skip.id]).execute();
    const byId = new Map(rows.map((row) => [row.id, row.next_run_at]));
    expect(byId.get(once.id)).toEqual(missed);
    expect(byId.get(skip.id)!.getTime()).toBeGreaterThanOrEqual(Date.now() - 2 * MINUTE);
  });
});
