import { randomUUID } from 'node:crypto';
import { peakConcurrency, peakStartsWithin, type TargetHit } from '@punctual/testing';
import { describe, expect, it } from 'vitest';
import { PunctualClient, secondsFromNow, sleep, useRunningStack, waitFor, workerIdOf, type Task } from './punctual-client.js';

// Fairness (USER_CONCURRENCY) and flow control (flowControl { key, parallelism, ratePerSecond }) end to end: an API and
// two workers (real processes) on each queue backend, against a local target that records when each call came and
// ended. The limits are fleet-wide: two workers share them through the backend's store.

const USER_CONCURRENCY = 4;

describe.each(['redis', 'postgres'] as const)('fairness and flow control on the %s backend', (queueBackend) => {
  const stack = useRunningStack({
    queueBackend,
    env: () => ({
      USER_CONCURRENCY: String(USER_CONCURRENCY),
      WORKER_CONCURRENCY: '20',
      LEASE_MARGIN_MS: '1000',
      RECONCILE_INTERVAL_MS: '500',
    }),
  });

  const register = (): Promise<PunctualClient> => PunctualClient.register(stack.api.url);

  /** Creates the tasks at once, each with its own path under `prefix` (numbered in order). */
  async function createMany(client: PunctualClient, count: number, prefix: string, fields: (index: number) => Record<string, unknown>) {
    return Promise.all(
      Array.from({ length: count }, (_, index) => client.createTask({ url: `${stack.target.url}${prefix}/${index}`, ...fields(index) })),
    );
  }

  async function waitForAll(client: PunctualClient, tasks: Task[], status: Task['status'], timeoutMs: number): Promise<Task[]> {
    return waitFor(async () => Promise.all(tasks.map((task) => client.waitForStatus(task.id, status, 1))), timeoutMs, 250);
  }

  it("keeps one user's slow tasks to USER_CONCURRENCY, so another user's task due at the same time is not starved", async () => {
    const [busy, other] = await Promise.all([register(), register()]);
    const due = secondsFromNow(3);
    const slowPath = `/delay/1500/${randomUUID()}`;
    const slow = await createMany(busy, 24, slowPath, () => ({ scheduledAt: due.toISOString(), maxRetries: 0 }));
    const quickPath = `/ok/${randomUUID()}`;
    const quick = await other.createTask({ url: `${stack.target.url}${quickPath}`, scheduledAt: due.toISOString() });

    const [hit] = await stack.target.waitForHits(1, { pathPrefix: quickPath, timeoutMs: 15_000 });
    // 40 worker slots and 24 slow calls: without the limit this one would also start at once; with it, 4 run and the
    // rest wait, so the other user's task is not behind 24 calls of 1.5 s (9 s at 4 at a time) either.
    expect(hit!.receivedAt.getTime() - due.getTime()).toBeLessThan(3_000);
    await other.waitForStatus(quick.id, 'completed');

    const done = await waitForAll(busy, slow, 'completed', 40_000);
    const hits = stack.target.hitsFor(slowPath);
    expect(hits).toHaveLength(24);
    expect(peakConcurrency(hits)).toBe(USER_CONCURRENCY);
    // Waiting used no attempt: each task made exactly one, and logged one.
    expect(done.map((task) => task.attempts)).toEqual(done.map(() => 1));
    const logs = await Promise.all(slow.map((task) => busy.taskLogs(task.id)));
    expect(logs.map((each) => each.length)).toEqual(slow.map(() => 1));
    // The wait shows as lateness (the last ones started about 24/4 × 1.5 s after they were due), not as a failure.
    const lastStart = Math.max(...hits.map((each) => each.receivedAt.getTime()));
    expect(lastStart - due.getTime()).toBeGreaterThan(6_000);
  });

  it('holds a flow key to its parallelism and rate, in the order its tasks are due, while another key runs freely', async () => {
    const client = await register();
    const start = Date.now() + 4_000;
    const throttledPath = `/delay/300/${randomUUID()}`;
    const freePath = `/delay/300/${randomUUID()}`;
    const throttledKey = { key: `billing-${randomUUID()}`, parallelism: 2, ratePerSecond: 3 };
    // Two slow calls take the key's slots first, so the nine below all find it full and wait in line: they are let in
    // by due time. (Attempts that find a slot free when they come start at once, whatever their due times.)
    const blockerPath = `/delay/1500/${randomUUID()}`;
    await createMany(client, 2, blockerPath, () => ({ scheduledAt: new Date(start - 1_000).toISOString(), flowControl: throttledKey }));
    // Due 10 ms apart, created in reverse: the order of creation says nothing of the order of the calls.
    const throttled = await createMany(client, 9, throttledPath, (index) => ({
      scheduledAt: new Date(start + (8 - index) * 10).toISOString(),
      flowControl: throttledKey,
    }));
    const free = await createMany(client, 2, freePath, () => ({
      scheduledAt: new Date(start).toISOString(),
      flowControl: { key: `other-${randomUUID()}`, parallelism: 10 },
    }));

    await waitForAll(client, free, 'completed', 15_000);
    const freeHits = stack.target.hitsFor(freePath);
    // The other key's calls ran together (their owner's other 2 slots of USER_CONCURRENCY), soon after they were due,
    // while the throttled key had barely begun.
    expect(peakConcurrency(freeHits)).toBe(2);
    expect(Math.max(...freeHits.map((hit) => hit.receivedAt.getTime())) - start).toBeLessThan(3_000);

    await waitForAll(client, throttled, 'completed', 30_000);
    const hits = stack.target.hitsFor(throttledPath);
    expect(hits).toHaveLength(9);
    expect(peakConcurrency(hits)).toBeLessThanOrEqual(2);
    // Starts are counted where they are granted; a call reaches the target a few milliseconds later, some later than
    // others, so the target's own window is read with 100 ms of room.
    expect(peakStartsWithin(hits, 900)).toBeLessThanOrEqual(3);
    // 9 starts at 3 per second take at least two full windows after the first.
    const starts = hits.map((hit) => hit.receivedAt.getTime());
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(2_000);
    // In the order they were due: task i was due at start + (8 - i) × 10 ms, so the calls come 8, 7, …, 0. Two granted
    // at the same moment (parallelism 2) may reach the target in either order: no call comes more than 50 ms before
    // one due earlier.
    const startOf = new Map(hits.map((hit) => [pathIndex(hit), hit.receivedAt.getTime()]));
    for (let index = 7; index >= 0; index -= 1) {
      const earlierDue = Math.max(...[8, 7, 6, 5, 4, 3, 2, 1].filter((other) => other > index).map((other) => startOf.get(other)!));
      expect(startOf.get(index)! - earlierDue, `task ${index}`).toBeGreaterThan(-50);
    }
    expect((await Promise.all(throttled.map((task) => client.taskLogs(task.id)))).map((logs) => logs.length)).toEqual(
      throttled.map(() => 1),
    );
  });

  it("gives a killed worker's flow slot back when its lease lapses, and the key goes on", async () => {
    const client = await register();
    const key = { key: `single-${randomUUID()}`, parallelism: 1 };
    const stuckPath = `/delay/60000/${randomUUID()}`;
    const nextPath = `/ok/${randomUUID()}`;
    const stuck = await client.createTask({ url: `${stack.target.url}${stuckPath}`, timeoutMs: 8_000, maxRetries: 0, flowControl: key });
    await stack.target.waitForHits(1, { pathPrefix: stuckPath });
    const next = await client.createTask({ url: `${stack.target.url}${nextPath}`, flowControl: key });

    // Whoever holds the slot is killed mid-call; the other worker finds the key full until the lease lapses. (The API
    // lists finished attempts only: the open one is read from its log row.)
    const log = await stack.environment.db
      .selectFrom('task_logs')
      .select('worker_id')
      .where('task_id', '=', stuck.id)
      .executeTakeFirstOrThrow();
    const holder = stack.workers.find((worker) => workerIdOf(worker) === log.worker_id)!;
    expect(holder).toBeDefined();
    await sleep(500);
    expect(stack.target.hitsFor(nextPath)).toHaveLength(0);
    const killedAt = Date.now();
    await holder.kill();
    // Stopped already: the stack's end does not stop it again.
    stack.workers.splice(stack.workers.indexOf(holder), 1);

    // The slot's lease is the attempt's deadline plus LEASE_MARGIN_MS (8 s + 1 s) from when it was taken, a second or
    // two before the kill: the next call waits for the lease, no longer.
    const [hit] = await stack.target.waitForHits(1, { pathPrefix: nextPath, timeoutMs: 20_000 });
    const lapse = hit!.receivedAt.getTime() - killedAt;
    expect(lapse).toBeGreaterThan(4_000);
    expect(lapse).toBeLessThan(12_000);
    await client.waitForStatus(next.id, 'completed');
    // The killed attempt is closed as lost by the reconciler, not left running.
    await client.waitForStatus(stuck.id, 'failed', 20_000);
  });
});

function pathIndex(hit: TargetHit): number {
  return Number(hit.path.split('/').at(-1));
}
