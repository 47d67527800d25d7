import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { authed, createTask, insertAttemptLog, register, type TaskResponse, useTestApp } from './test-app.js';

const t = useTestApp({ users: ['alice', 'bob'], admin: { email: 'admin@example.com', password: 'admin-password-123' } });
const { alice, bob } = t.users;
const admin = t.admin;

const HOUR_MS = 3_600_000;

/** A finished attempt (or one in flight, with a null outcome) of `task`, started `hoursAgo` hours ago. */
async function insertLog(
  task: TaskResponse,
  hoursAgo: number,
  outcome: 'succeeded' | 'failed' | null,
  durationMs: number | null,
): Promise<void> {
  await insertAttemptLog(t.env.db, task, { startedAt: new Date(Date.now() - hoursAgo * HOUR_MS), outcome, durationMs });
}

async function setStatus(task: TaskResponse, status: 'paused' | 'completed' | 'failed'): Promise<void> {
  await t.env.db.updateTable('tasks').set({ status }).where('id', '=', task.id).execute();
}

beforeAll(async () => {
  // Alice: five tasks (two pending, one each paused, completed, failed) and five finished attempts, three of them
  // in the last 24 hours, plus one in flight that must not count.
  const [aliceWaiting, alicePaused, aliceCompleted, aliceFailed] = await Promise.all([
    createTask(t.api.app, alice.token, { name: 'waiting' }),
    createTask(t.api.app, alice.token, { name: 'paused' }),
    createTask(t.api.app, alice.token, { name: 'completed' }),
    createTask(t.api.app, alice.token, { name: 'failed' }),
    createTask(t.api.app, alice.token, { name: 'also waiting' }),
  ]);
  await setStatus(alicePaused, 'paused');
  await setStatus(aliceCompleted, 'completed');
  await setStatus(aliceFailed, 'failed');
  await insertLog(aliceWaiting, 48, 'succeeded', 100);
  await insertLog(aliceWaiting, 30, 'failed', 300);
  await insertLog(aliceCompleted, 1, 'succeeded', 50);
  await insertLog(aliceFailed, 2, 'failed', 150);
  await insertLog(aliceFailed, 3, 'failed', 200);
  await insertLog(aliceWaiting, 0.1, null, null);

  // Bob: one pending task, one recent success.
  const bobsTask = await createTask(t.api.app, bob.token, { name: 'bobs' });
  await insertLog(bobsTask, 5, 'succeeded', 30);
});

async function stats(token: string, query = ''): Promise<unknown> {
  const response = await t.api.app.inject({ method: 'GET', url: `/api/v1/stats${query}`, headers: authed(token) });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

const alicesStats = {
  tasks: { total: 5, byStatus: { pending: 2, running: 0, retrying: 0, completed: 1, failed: 1, cancelled: 0, paused: 1 } },
  executions: {
    total: 5,
    succeeded: 2,
    failed: 3,
    successRate: 0.4,
    avgDurationMs: 160,
    last24h: { total: 3, succeeded: 1, failed: 2 },
  },
};

const noStats = {
  tasks: { total: 0, byStatus: { pending: 0, running: 0, retrying: 0, completed: 0, failed: 0, cancelled: 0, paused: 0 } },
  executions: { total: 0, succeeded: 0, failed: 0, successRate: 0, avgDurationMs: null, last24h: { total: 0, succeeded: 0, failed: 0 } },
};

describe('GET /api/v1/stats', () => {
  it("counts the caller's tasks by status and finished attempts by outcome, leaving out the one in flight", async () => {
    expect(await stats(alice.token)).toEqual(alicesStats);
  });

  it('answers zeros, a success rate of 0 and no average for a user with nothing yet', async () => {
    const newcomer = await register(t.api.app);

    expect(await stats(newcomer.token)).toEqual(noStats);
  });

  it("shows an admin everyone's numbers, the average rounded to the millisecond", async () => {
    expect(await stats(admin.token)).toEqual({
      tasks: { total: 6, byStatus: { pending: 3, running: 0, retrying: 0, completed: 1, failed: 1, cancelled: 0, paused: 1 } },
      executions: {
        total: 6,
        succeeded: 3,
        failed: 3,
        successRate: 0.5,
        // (100 + 300 + 50 + 150 + 200 + 30) / 6 = 138.33…
        avgDurationMs: 138,
        last24h: { total: 4, succeeded: 2, failed: 2 },
      },
    });
  });

  it("narrows an admin to one user's numbers with userId", async () => {
    expect(await stats(admin.token, `?userId=${alice.user.id}`)).toEqual(alicesStats);
  });

  it("gives a user their own numbers for their own userId, and zeros for someone else's, never theirs", async () => {
    expect(await stats(alice.token, `?userId=${alice.user.id}`)).toEqual(alicesStats);
    expect(await stats(alice.token, `?userId=${bob.user.id}`)).toEqual(noStats);
    expect(await stats(alice.token, `?userId=${randomUUID()}`)).toEqual(noStats);
  });

  it('answers 401 without a token', async () => {
    const response = await t.api.app.inject({ method: 'GET', url: '/api/v1/stats' });

    expect(response.statusCode).toBe(401);
  });

  it('answers 400 naming userId when it is not a UUID', async () => {
    const response = await t.api.app.inject({ method: 'GET', url: '/api/v1/stats?userId=alice', headers: authed(admin.token) });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining('userId') });
  });
});
