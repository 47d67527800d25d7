import { beforeAll, describe, expect, it } from 'vitest';
import { authed, createTask, insertAttemptLog, register, type TaskResponse, useTestApp } from './test-app.js';

const t = useTestApp({ users: ['alice', 'bob'], admin: { email: 'admin@example.com', password: 'admin-password-123' } });
const { alice, bob } = t.users;
const admin = t.admin;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

interface Inserted {
  startedAt: Date;
  outcome: 'succeeded' | 'failed';
  lateMs: number;
}
const alicesAttempts: Inserted[] = [];

/** An attempt of `task` that started `minutesAgo` minutes ago, `lateMs` after it was due (null outcome: in flight). */
async function insertAttempt(
  task: TaskResponse,
  minutesAgo: number,
  outcome: 'succeeded' | 'failed' | null,
  lateMs: number,
): Promise<Inserted | null> {
  const startedAt = new Date(Date.now() - minutesAgo * MINUTE_MS);
  await insertAttemptLog(t.env.db, task, { startedAt, outcome, durationMs: outcome === null ? null : 20, lateMs });
  return outcome === null ? null : { startedAt, outcome, lateMs };
}

beforeAll(async () => {
  const [task, bobsTask] = await Promise.all([
    createTask(t.api.app, alice.token, { name: 'hourly' }),
    createTask(t.api.app, bob.token, { name: 'bobs' }),
  ]);
  for (const [minutesAgo, outcome, lateMs] of [
    [30, 'succeeded', 100],
    [40, 'failed', 2_000],
    [45, 'succeeded', 300],
    [180, 'succeeded', 0],
    [181, 'failed', 50],
  ] as const) {
    alicesAttempts.push((await insertAttempt(task, minutesAgo, outcome, lateMs))!);
  }
  await insertAttempt(task, 30 * 60, 'succeeded', 10); // 30 h ago: before the window
  await insertAttempt(task, 5, null, 0); // in flight: not counted
  await insertAttempt(bobsTask, 20, 'failed', 7_000);
});

interface Timeline {
  bucketMinutes: number;
  from: string;
  until: string;
  buckets: Array<{
    start: string;
    succeeded: number;
    failed: number;
    lateness: { p50Ms: number | null; p95Ms: number | null; maxMs: number | null };
  }>;
}

async function timeline(token: string, query: string): Promise<Timeline> {
  const response = await t.api.app.inject({ method: 'GET', url: `/api/v1/stats/timeline${query}`, headers: authed(token) });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Timeline>();
}

/** What the buckets must hold for these attempts: counts, and the nearest-rank percentiles of their lateness. */
function expectedBuckets(attempts: Inserted[], bucketMs: number) {
  const byStart = new Map<number, Inserted[]>();
  for (const attempt of attempts) {
    const start = Math.floor(attempt.startedAt.getTime() / bucketMs) * bucketMs;
    byStart.set(start, [...(byStart.get(start) ?? []), attempt]);
  }
  const rank = (sorted: number[], fraction: number) => sorted[Math.ceil(fraction * sorted.length) - 1]!;
  return new Map(
    [...byStart].map(([start, inBucket]) => {
      const lateness = inBucket.map((attempt) => attempt.lateMs).sort((a, b) => a - b);
      return [
        new Date(start).toISOString(),
        {
          succeeded: inBucket.filter((attempt) => attempt.outcome === 'succeeded').length,
          failed: inBucket.filter((attempt) => attempt.outcome === 'failed').length,
          lateness: { p50Ms: rank(lateness, 0.5), p95Ms: rank(lateness, 0.95), maxMs: lateness.at(-1)! },
        },
      ];
    }),
  );
}

describe('GET /api/v1/stats/timeline', () => {
  it("buckets the caller's finished attempts of the last 24 h by the hour, every bucket listed, with their lateness", async () => {
    const answer = await timeline(alice.token, '');

    expect(answer.bucketMinutes).toBe(60);
    const from = Date.parse(answer.from);
    const until = Date.parse(answer.until);
    expect(from % HOUR_MS).toBe(0);
    expect(until - from).toBeGreaterThan(23 * HOUR_MS);
    expect(until - from).toBeLessThanOrEqual(24 * HOUR_MS);
    expect(answer.buckets.map((bucket) => Date.parse(bucket.start))).toEqual(
      Array.from({ length: Math.floor((until - from) / HOUR_MS) + 1 }, (_, index) => from + index * HOUR_MS),
    );
    const expected = expectedBuckets(alicesAttempts, HOUR_MS);
    for (const bucket of answer.buckets) {
      expect(bucket, bucket.start).toEqual({
        start: bucket.start,
        ...(expected.get(bucket.start) ?? { succeeded: 0, failed: 0, lateness: { p50Ms: null, p95Ms: null, maxMs: null } }),
      });
    }
  });

  it('takes the window and the bucket width from the query', async () => {
    const answer = await timeline(alice.token, '?hours=1&bucketMinutes=15');

    expect(answer.bucketMinutes).toBe(15);
    expect(answer.buckets.length).toBe(4);
    const counted = answer.buckets.reduce((sum, bucket) => sum + bucket.succeeded + bucket.failed, 0);
    // 30, 40 and 45 minutes ago, unless the window's first boundary (within 15 minutes of an hour ago) fell after one.
    const firstStart = Date.parse(answer.from);
    expect(counted).toBe(alicesAttempts.filter((attempt) => attempt.startedAt.getTime() >= firstStart).length);
    expect(counted).toBeGreaterThanOrEqual(2);
  });

  it("shows an admin everyone's attempts, or one user's with userId", async () => {
    const total = (answer: Timeline) => answer.buckets.reduce((sum, bucket) => sum + bucket.succeeded + bucket.failed, 0);

    expect(total(await timeline(admin.token, ''))).toBe(6);
    expect(total(await timeline(admin.token, `?userId=${bob.user.id}`))).toBe(1);
    // A user naming someone else gets nothing of theirs.
    expect(total(await timeline(alice.token, `?userId=${bob.user.id}`))).toBe(0);
  });

  it('answers empty buckets to a user with no attempts', async () => {
    const newcomer = await register(t.api.app);
    const answer = await timeline(newcomer.token, '?hours=2&bucketMinutes=30');

    expect(answer.buckets.length).toBe(4);
    expect(answer.buckets.every((bucket) => bucket.succeeded === 0 && bucket.failed === 0 && bucket.lateness.maxMs === null)).toBe(true);
  });

  it('never lists more buckets than hours × 60 / bucketMinutes', async () => {
    const answer = await timeline(alice.token, '?hours=25&bucketMinutes=3');

    expect(answer.buckets.length).toBe(500);
  });

  it.each([
    ['?hours=720&bucketMinutes=1', 'querystring/bucketMinutes must be at least 87 for hours=720 (at most 500 buckets)'],
    ['?hours=0', 'querystring/hours must be >= 1'],
    ['?bucketMinutes=abc', 'querystring/bucketMinutes must be integer'],
    ['?since=yesterday', 'querystring/since is not allowed'],
  ])('refuses %s with a 400 naming the field', async (query, message) => {
    const response = await t.api.app.inject({ method: 'GET', url: `/api/v1/stats/timeline${query}`, headers: authed(alice.token) });

    expect(response.statusCode).toBe(400);
    expect(response.json().message).toContain(message);
  });

  it('answers 401 without credentials', async () => {
    const response = await t.api.app.inject({ method: 'GET', url: '/api/v1/stats/timeline' });
    expect(response.statusCode).toBe(401);
  });
});
