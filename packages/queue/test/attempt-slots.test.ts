import { randomUUID } from 'node:crypto';
import type { AttemptSlots, QueueBackend, QueueBackendName, SlotRequest } from '@punctual/queue';
import { attemptLimits, type AttemptLimit } from '@punctual/scheduling';
import { createTestEnvironment, type TestEnvironment } from '@punctual/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Attempt slots, the same contract on both stores: Redis (a script) and Postgres (a function).
describe.each<QueueBackendName>(['redis', 'postgres'])('attempt slots on the %s backend', (backendName) => {
  let env: TestEnvironment;
  let backend: QueueBackend;
  let store: AttemptSlots;
  /** One request or release at a time, as an attempt alone makes them (the batches are below). */
  const slots = {
    acquire: async (request: SlotRequest) => (await store.acquire([request]))[0] ?? null,
    release: (lease: string, limits: AttemptLimit[]) => store.release([{ lease, limits }]),
  };
  beforeAll(async () => {
    env = await createTestEnvironment({ queueBackend: backendName });
    backend = await env.createQueueBackend();
    await backend.waitUntilReady(10_000);
    store = backend.attemptSlots;
    await store.prepare();
  });
  afterAll(async () => {
    await backend?.close();
    await env?.cleanup();
  });

  const limit = (parallelism: number | null, rate: AttemptLimit['rate'] = null): AttemptLimit => ({
    key: `test:${randomUUID()}`,
    parallelism,
    rate,
  });
  /** Requests of one holder in a test share a lease id, so `slots.release(holder, …)` gives back what it took. */
  const ask = (holder: string, limits: AttemptLimit[], due = new Date(), leaseMs = 30_000) =>
    slots.acquire({ holder, lease: holder, dueAt: due, leaseMs, limits });

  it('grants up to parallelism, then holds the next in line until a slot comes back', async () => {
    const limits = [limit(2)];
    expect(await ask('a', limits)).toBeNull();
    expect(await ask('b', limits)).toBeNull();
    expect(await ask('c', limits)).toEqual({ limit: 0, behind: 1, rateWaitMs: 0 });
    await slots.release('a', limits);
    expect(await ask('c', limits)).toBeNull();
    expect(await ask('d', limits)).toEqual({ limit: 0, behind: 1, rateWaitMs: 0 });
  });

  it('lets waiters in by due time, not by who asks first', async () => {
    const limits = [limit(1)];
    const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
    expect(await ask('holder', limits)).toBeNull();
    expect(await ask('late', limits, at(10_000))).toMatchObject({ behind: 1 });
    expect(await ask('early', limits, at(5_000))).toMatchObject({ behind: 1 });
    expect(await ask('late', limits, at(10_000))).toMatchObject({ behind: 2 });
    await slots.release('holder', limits);
    // A slot is free, but the waiter due earlier is first in line.
    expect(await ask('late', limits, at(10_000))).toMatchObject({ behind: 1 });
    expect(await ask('early', limits, at(5_000))).toBeNull();
    await slots.release('early', limits);
    expect(await ask('late', limits, at(10_000))).toBeNull();
  });

  it('starts at most rate.starts in a window and says when the next may start', async () => {
    const limits = [limit(null, { starts: 2, windowMs: 1_000 })];
    const started = Date.now();
    expect(await ask('a', limits)).toBeNull();
    expect(await ask('b', limits)).toBeNull();
    await slots.release('a', limits);
    await slots.release('b', limits);
    const refusal = await ask('c', limits);
    expect(refusal).toMatchObject({ limit: 0, behind: 1 });
    expect(refusal!.rateWaitMs).toBeGreaterThan(0);
    expect(refusal!.rateWaitMs).toBeLessThanOrEqual(1_002);
    await sleep(refusal!.rateWaitMs + 20);
    expect(await ask('c', limits)).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('gives a slot back when its lease lapses (a worker killed while holding it)', async () => {
    const limits = [limit(1)];
    expect(await ask('dead', limits, new Date(), 300)).toBeNull();
    expect(await ask('next', limits)).toMatchObject({ behind: 1 });
    await sleep(450);
    expect(await ask('next', limits)).toBeNull();
  });

  it('takes every limit or none', async () => {
    const [flow, user] = [limit(1), limit(1)];
    expect(await ask('user-only', [user])).toBeNull();
    // Held by the user limit: the flow slot it could have had stays free.
    expect(await ask('both', [flow, user])).toMatchObject({ limit: 1, behind: 1 });
    expect(await ask('flow-only', [flow])).toBeNull();
  });

  it('never queues an attempt held by its flow key for a user slot: the key does not hold up its owner', async () => {
    const userId = randomUUID();
    const throttled = attemptLimits({ userId, flowControl: { key: `k-${randomUUID()}`, parallelism: 1 } }, 2);
    const free = attemptLimits({ userId, flowControl: null }, 2);
    expect(await ask('k1', throttled)).toBeNull();
    for (const holder of ['k2', 'k3', 'k4']) expect(await ask(holder, throttled)).toMatchObject({ limit: 0 });
    // One user slot of two is taken (k1); the waiting k2..k4 are not in the user's line, so another task starts at once.
    expect(await ask('other', free)).toBeNull();
    expect(await ask('third', free)).toMatchObject({ limit: 0, behind: 1 });
  });

  it('names the waiters first in line for the slots a release frees, to be woken', async () => {
    const limits = [limit(2)];
    const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
    expect(await ask('a', limits)).toBeNull();
    expect(await ask('b', limits)).toBeNull();
    expect(await ask('third', limits, at(3_000))).toMatchObject({ behind: 1 });
    expect(await ask('second', limits, at(2_000))).toMatchObject({ behind: 1 });
    expect(await ask('first', limits, at(1_000))).toMatchObject({ behind: 1 });
    expect(await slots.release('a', limits)).toEqual(['first']);
    expect((await slots.release('b', limits)).sort()).toEqual(['first', 'second']);
    expect(await ask('first', limits, at(1_000))).toBeNull();
    // A rate frees no slot when an attempt ends: nobody to wake for it.
    const rated = [limit(null, { starts: 1, windowMs: 60_000 })];
    expect(await ask('r1', rated)).toBeNull();
    expect(await ask('r2', rated)).toMatchObject({ behind: 1 });
    expect(await slots.release('r1', rated)).toEqual([]);
  });

  it('takes a batch in order, each request seeing the ones before it, and gives a batch back', async () => {
    const limits = [limit(2)];
    const request = (holder: string): SlotRequest => ({ holder, lease: holder, dueAt: new Date(), leaseMs: 30_000, limits });
    const answers = await store.acquire(['a', 'b', 'c'].map(request));
    expect(answers).toEqual([null, null, { limit: 0, behind: 1, rateWaitMs: 0 }]);
    expect(await store.release(['a', 'b'].map((lease) => ({ lease, limits })))).toEqual(['c']);
    expect(await store.acquire([request('c')])).toEqual([null]);
  });

  it('grants a request asked again under its lease without counting it twice (a batch run again after an error)', async () => {
    const limits = [limit(1)];
    expect(await ask('once', limits)).toBeNull();
    expect(await ask('once', limits)).toBeNull();
    expect(await ask('other', limits)).toMatchObject({ behind: 1 });
    await slots.release('once', limits);
    expect(await ask('other', limits)).toBeNull();
  });

  it('never shortens the life of a shared key: a short lease after a long one leaves the long one held', async () => {
    const limits = [limit(2)];
    expect(await ask('long', limits, new Date(), 30_000)).toBeNull();
    expect(await ask('short', limits, new Date(), 100)).toBeNull();
    await slots.release('short', limits);
    await sleep(1_300);
    // The key outlived the short lease's expiry: `long` still holds one of the two slots.
    expect(await ask('a', limits)).toBeNull();
    expect(await ask('b', limits)).toMatchObject({ behind: 1 });
  });

  it('holds slots per request: a job delivered twice gives back only its own', async () => {
    const limits = [limit(2)];
    const request = (lease: string) => slots.acquire({ holder: 'task', lease, dueAt: new Date(), leaseMs: 30_000, limits });
    expect(await request('first')).toBeNull();
    expect(await request('second')).toBeNull();
    await slots.release('second', limits);
    // `first` still holds its slot: one of two is free.
    expect(await ask('other', limits)).toBeNull();
    expect(await ask('third', limits)).toMatchObject({ behind: 1 });
  });
});
