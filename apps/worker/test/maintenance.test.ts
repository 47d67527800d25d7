import { createTask, WORKER_LOST } from '@punctual/core';
import { claimAttempt } from '@punctual/db';
import type { QueueBackend } from '@punctual/queue';
import { defaultQueueBackend, startSilentServer, type SilentServer, useTaskEnvironment } from '@punctual/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMaintenance, type Maintenance } from '../src/maintenance.js';
import { capturingLogger } from './log-capture.js';

const t = useTaskEnvironment({ email: 'maintenance@example.com', blocking: true });
let running: Maintenance[] = [];

// Long enough that only the pass at start and the ones a test asks for run.
const INTERVAL_MS = 600_000;
const PASS = 'maintenance pass';

afterAll(async () => {
  await Promise.all(running.map((maintenance) => maintenance.stop()));
});

beforeEach(async () => {
  await Promise.all(running.map((maintenance) => maintenance.stop()));
  running = [];
  await t.env.db.deleteFrom('tasks').execute();
  await t.queue.queue.obliterate({ force: true });
});

function start(backend: QueueBackend = t.backend) {
  const { logger, lines, messages } = capturingLogger();
  const maintenance = startMaintenance({
    context: { db: t.env.db, queue: t.queue, logger, notifications: { emailEnabled: false, queue: t.backend.notifications } },
    backend,
    intervalMs: INTERVAL_MS,
    logRetentionDays: 30,
    logger,
  });
  running.push(maintenance);
  return { maintenance, lines, passes: () => messages().filter((message) => message === PASS).length };
}

/** Whether the maintenance lock is free: another holder can take it (and then lets go of it at once). */
async function lockIsFree(): Promise<boolean> {
  const probe = t.backend.createLeaderLock('maintenance', { ttlMs: INTERVAL_MS });
  const free = await probe.acquire();
  await probe.release();
  return free;
}

describe('the maintenance loop', () => {
  it('runs its passes in one of two workers at a time, and in the other once the holder lets go', async () => {
    const first = start();
    const second = start();
    // runOnce joins the pass each one started at once, then runs one more.
    await Promise.all([first.maintenance.runOnce(), second.maintenance.runOnce()]);
    await Promise.all([first.maintenance.runOnce(), second.maintenance.runOnce()]);

    const counts = [first.passes(), second.passes()];
    expect(counts.filter((count) => count > 0)).toHaveLength(1);
    expect(await lockIsFree()).toBe(false);

    const [holder, other] = counts[0]! > 0 ? [first, second] : [second, first];
    await holder.maintenance.stop();
    expect(await lockIsFree()).toBe(true);
    await other.maintenance.runOnce();
    expect(other.passes()).toBe(1);
  });

  it('closes lost attempts and puts back jobs missing from Redis in a pass', async () => {
    const waiting = await createTask(t.tasks, t.actor, {
      name: 'waiting',
      url: 'https://example.com',
      scheduledAt: new Date(Date.now() + 60_000).toISOString(),
    });
    const lost = await createTask(t.tasks, t.actor, { name: 'lost', url: 'https://example.com' });
    expect(await claimAttempt(t.env.db, { taskId: lost.id, version: 1, workerId: 'dead-worker:1', leaseMarginMs: 30_000 })).not.toBeNull();
    await t.env.db
      .updateTable('tasks')
      .set({ lease_expires_at: new Date(Date.now() - 1_000) })
      .where('id', '=', lost.id)
      .execute();
    await t.queue.queue.obliterate({ force: true });

    const { maintenance, lines } = start();
    await maintenance.runOnce();

    expect(await t.queue.queue.getJob(`${waiting.id}.1`)).toBeDefined();
    const row = await t.env.db.selectFrom('tasks').selectAll().where('id', '=', lost.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'retrying', last_error: WORKER_LOST, lease_expires_at: null, version: 2 });
    expect(await t.queue.queue.getJob(`${lost.id}.2`)).toBeDefined();
    const pass = lines.find((line) => line.msg === PASS);
    expect(pass).toMatchObject({ recovered: 1 });
    const before = await t.env.db.selectFrom('tasks').select('run_id').where('id', '=', lost.id).executeTakeFirstOrThrow();
    expect(lines.filter((line) => /lost worker/.test(line.msg))).toEqual([
      expect.objectContaining({ taskId: lost.id, runId: before.run_id, attempt: 1 }),
    ]);
    expect(pass!.reenqueued).toBeGreaterThanOrEqual(1);
  });

  describe.runIf(defaultQueueBackend() === 'redis')('with a Redis that accepts and never answers', () => {
    let silent: SilentServer;
    let hungRedis: QueueBackend;
    beforeAll(async () => {
      silent = await startSilentServer();
      hungRedis = await t.env.createQueueBackend({ redisUrl: `redis://127.0.0.1:${silent.port}`, blocking: true });
    });
    afterAll(async () => {
      await hungRedis.close();
      await silent.close();
    });

    it('stops within its bound although the pass is stuck on the lock', async () => {
      const { maintenance, passes } = start(hungRedis);
      void maintenance.runOnce();

      const started = performance.now();
      await maintenance.stop();
      const elapsed = performance.now() - started;

      // The pass did no work: the lock's command got no answer (the worker's queue connection gives up after 5 s).
      expect(passes()).toBe(0);
      // stop() waits up to 5 s for a pass in progress, then gives up on it.
      expect(elapsed).toBeGreaterThanOrEqual(4_500);
      expect(elapsed).toBeLessThan(20_000);
    }, 30_000);
  });
});
