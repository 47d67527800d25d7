import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { actOnTask, createTask } from '@punctual/core';
import { claimAttempt } from '@punctual/db';
import { createExecutor, type Executor } from '@punctual/executor';
import { createWorkerMetrics, type WorkerMetrics } from '@punctual/metrics';
import type { QueueBackend, TasksWorker } from '@punctual/queue';
import {
  parsePrometheusText,
  startSilentServer,
  startTargetServer,
  useTaskEnvironment,
  type PrometheusScrape,
  type TargetServer,
} from '@punctual/testing';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerHttpServer } from '../src/http-server.js';
import { startMaintenance } from '../src/maintenance.js';
import { createProcessor } from '../src/processor.js';

// A worker as main.ts wires it, in this process: BullMQ worker, processor, maintenance and the HTTP server, over this
// file's database and queue, calling a real target on loopback. The tests run in order and each asserts what it added.
const t = useTaskEnvironment({ email: 'metrics@example.com', allowPrivateTargets: true, maxRetries: 0, blocking: true });
const logger = pino({ level: 'silent' });

let target: TargetServer;
let metrics: WorkerMetrics;
let executor: Executor;
let worker: TasksWorker;
let http: { server: Server; port: number };

beforeAll(async () => {
  target = await startTargetServer();
  metrics = createWorkerMetrics({ jobCounts: (...states) => t.queue.queue.getJobCounts(...states) });
  executor = createExecutor({ responseBodyLimitBytes: 4096, userAgent: 'punctual-test', allowPrivateTargets: true });
  const processor = createProcessor(
    {
      db: t.env.db,
      queue: t.queue,
      executor,
      secretsKey: t.tasks.secretsKey,
      workerId: 'metrics-test:1',
      leaseMarginMs: 30_000,
      notifications: { emailEnabled: false, queue: t.backend.notifications },
      limits: { slots: t.backend.attemptSlots, userConcurrency: 25 },
      logger,
      metrics: metrics.attempts,
    },
    logger,
    { onDatabaseUnavailable: () => {} },
  );
  worker = t.backend.createWorker(processor, { concurrency: 4 });
  http = await startWorkerHttpServer({
    host: '127.0.0.1',
    port: 0,
    checks: { postgres: async () => {}, queue: async () => {} },
    checkTimeoutMs: 2_000,
    queueBackend: 'redis',
    metrics: metrics.registry,
  });
});

afterAll(async () => {
  await worker?.close();
  await executor?.close();
  http?.server.close();
  await target?.close();
});

async function scrape(port = http.port): Promise<PrometheusScrape> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

async function waitForStatus(id: string, status: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await t.env.db.selectFrom('tasks').select('status').where('id', '=', id).executeTakeFirstOrThrow();
    if (row.status === status) return;
    if (Date.now() > deadline) throw new Error(`task ${id} is ${row.status}, not ${status}, after ${timeoutMs} ms`);
    await sleep(50);
  }
}

const ATTEMPTS = 'punctual_attempts_total';
const DURATION = 'punctual_attempt_duration_seconds';
const LATENESS = 'punctual_attempt_lateness_seconds';
const STORE_WAIT = 'punctual_attempt_store_wait_seconds';

describe("a worker's /metrics", () => {
  it('starts with every counter at 0 and the default process metrics', async () => {
    const scraped = await scrape();

    expect(scraped.value(ATTEMPTS, { outcome: 'succeeded' })).toBe(0);
    expect(scraped.value(ATTEMPTS, { outcome: 'failed' })).toBe(0);
    for (const name of ['punctual_stale_jobs_dropped_total', 'punctual_reconciler_repairs_total', 'punctual_lost_attempts_total']) {
      expect(scraped.value(name)).toBe(0);
    }
    expect(scraped.value('punctual_attempts_in_flight')).toBe(0);
    expect(scraped.types.get(DURATION)).toBe('histogram');
    expect(scraped.types.get('process_cpu_seconds_total')).toBe('counter');
  });

  it('counts a succeeded and a failed attempt by outcome, with their duration and lateness', async () => {
    const ok = await createTask(t.tasks, t.actor, { name: 'ok', url: `${target.url}/ok` });
    // Due 30 s ago: it runs at once, at least 30 s late.
    const late = new Date(Date.now() - 30_000).toISOString();
    const failing = await createTask(t.tasks, t.actor, { name: 'failing', url: `${target.url}/status/500`, scheduledAt: late });
    await Promise.all([waitForStatus(ok.id, 'completed'), waitForStatus(failing.id, 'failed')]);

    const scraped = await scrape();
    expect(scraped.value(ATTEMPTS, { outcome: 'succeeded' })).toBe(1);
    expect(scraped.value(ATTEMPTS, { outcome: 'failed' })).toBe(1);
    expect(scraped.value(`${DURATION}_count`, { outcome: 'succeeded' })).toBe(1);
    expect(scraped.value(`${DURATION}_count`, { outcome: 'failed' })).toBe(1);
    expect(scraped.value(`${LATENESS}_count`)).toBe(2);
    // The late one is in the 60 s bucket and not the 10 s one; the other started within 10 s of its creation.
    expect(scraped.value(`${LATENESS}_bucket`, { le: '10' })).toBe(1);
    expect(scraped.value(`${LATENESS}_bucket`, { le: '60' })).toBe(2);
    expect(scraped.value(`${LATENESS}_sum`)).toBeGreaterThanOrEqual(30);
    // Each attempt waited once to be claimed and once to be recorded, each wait well under the 5 s top bucket.
    for (const step of ['claim', 'record']) {
      expect(scraped.value(`${STORE_WAIT}_count`, { step }), step).toBe(2);
      expect(scraped.value(`${STORE_WAIT}_bucket`, { step, le: '5' }), step).toBe(2);
      expect(scraped.value(`${STORE_WAIT}_sum`, { step }), step).toBeGreaterThan(0);
    }
    expect(scraped.value('punctual_attempts_in_flight')).toBe(0);
    expect(scraped.value('punctual_stale_jobs_dropped_total')).toBe(0);
  });

  it('shows an attempt in flight while its call is waiting for the target', async () => {
    const before = await scrape();
    // The target answers after 3 s: room for the scrape below on a loaded machine.
    const slow = await createTask(t.tasks, t.actor, { name: 'slow', url: `${target.url}/delay/3000/${randomUUID()}`, timeoutMs: 10_000 });
    await target.waitForHits(1, { pathPrefix: '/delay/3000', timeoutMs: 15_000 });

    expect((await scrape()).value('punctual_attempts_in_flight')).toBe(1);
    await waitForStatus(slow.id, 'completed');
    const after = await scrape();
    const succeeded = (scraped: PrometheusScrape, name: string, labels: Record<string, string> = {}) =>
      scraped.value(name, { outcome: 'succeeded', ...labels }) - before.value(name, { outcome: 'succeeded', ...labels });
    expect(after.value('punctual_attempts_in_flight')).toBe(0);
    expect(succeeded(after, ATTEMPTS)).toBe(1);
    expect(succeeded(after, `${DURATION}_count`)).toBe(1);
    expect(succeeded(after, `${DURATION}_sum`)).toBeGreaterThanOrEqual(3);
    expect(succeeded(after, `${DURATION}_bucket`, { le: '2.5' })).toBe(0);
    expect(succeeded(after, `${DURATION}_bucket`, { le: '+Inf' })).toBe(1);
  });

  it('counts a job whose task moved on as a stale job dropped, not as an attempt', async () => {
    const task = await createTask(t.tasks, t.actor, {
      name: 'paused',
      url: `${target.url}/ok`,
      scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await actOnTask(t.tasks, t.actor, task.id, 'pause');
    // The job of version 1 comes back (as a job delivered late would): the worker must drop it.
    const row = await t.env.db.selectFrom('tasks').select(['run_id', 'version']).where('id', '=', task.id).executeTakeFirstOrThrow();
    expect(row.version).toBe(2);
    await t.queue.enqueueAttempt({ taskId: task.id, runId: row.run_id, version: 1 }, null);

    const deadline = Date.now() + 15_000;
    while ((await scrape()).value('punctual_stale_jobs_dropped_total') < 1 && Date.now() < deadline) await sleep(50);
    const scraped = await scrape();
    expect(scraped.value('punctual_stale_jobs_dropped_total')).toBe(1);
    expect(scraped.sum(ATTEMPTS)).toBe(3);
    expect(scraped.value(`${LATENESS}_count`)).toBe(3);
    // The stale job was dropped at its first read, before any claim, and had nothing to record.
    expect(scraped.value(`${STORE_WAIT}_count`, { step: 'claim' })).toBe(3);
    expect(scraped.value(`${STORE_WAIT}_count`, { step: 'record' })).toBe(3);
  });

  it('counts the reconciler repairs and lost attempts it handled, and the queue depth by state', async () => {
    const waiting = await createTask(t.tasks, t.actor, {
      name: 'job lost from the queue',
      url: `${target.url}/ok`,
      scheduledAt: new Date(Date.now() + 600_000).toISOString(),
    });
    await t.queue.discardAttempts([{ taskId: waiting.id, version: 1 }]);
    const lost = await createTask(t.tasks, t.actor, {
      name: 'lost',
      url: `${target.url}/ok`,
      scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await t.queue.discardAttempts([{ taskId: lost.id, version: 1 }]);
    expect(await claimAttempt(t.env.db, { taskId: lost.id, version: 1, workerId: 'dead-worker:1', leaseMarginMs: 0 })).not.toBeNull();
    await t.updateTask(lost.id, { lease_expires_at: new Date(Date.now() - 1_000) });

    const maintenance = startMaintenance({
      context: { db: t.env.db, queue: t.queue, logger, notifications: { emailEnabled: false, queue: t.backend.notifications } },
      backend: t.backend,
      intervalMs: 600_000,
      logRetentionDays: 30,
      logger,
      metrics: metrics.maintenance,
    });
    try {
      await maintenance.runOnce();
    } finally {
      await maintenance.stop();
    }

    const scraped = await scrape();
    expect(scraped.value('punctual_reconciler_repairs_total')).toBe(1);
    expect(scraped.value('punctual_lost_attempts_total')).toBe(1);
    // A lost attempt is not one this worker made.
    expect(scraped.sum(ATTEMPTS)).toBe(3);
    expect(await t.queue.queue.getJob(`${waiting.id}.1`)).toBeDefined();
    expect(scraped.value('punctual_queue_jobs', { state: 'delayed' })).toBe(1);
    expect(scraped.value('punctual_queue_jobs', { state: 'waiting' })).toBe(0);
    expect(scraped.value('punctual_queue_jobs', { state: 'active' })).toBe(0);
    const states = scraped.find('punctual_queue_jobs').map((sample) => sample.labels.state);
    expect(states.sort()).toEqual(['active', 'completed', 'delayed', 'failed', 'prioritized', 'waiting', 'waiting-children']);
  });

  describe('with a queue whose Redis accepts connections and never answers', () => {
    it('answers the scrape within its bound, without queue depth rather than with stale numbers', async () => {
      const silent = await startSilentServer();
      const hungBackend: QueueBackend = await t.env.createQueueBackend({
        backend: 'redis',
        redisUrl: `redis://127.0.0.1:${silent.port}`,
        blocking: true,
      });
      const hung = createWorkerMetrics({
        jobCounts: (...states) => hungBackend.tasks.queue.getJobCounts(...states),
        queueCountsTimeoutMs: 300,
      });
      const server = await startWorkerHttpServer({
        host: '127.0.0.1',
        port: 0,
        checks: { postgres: async () => {}, queue: async () => {} },
        checkTimeoutMs: 2_000,
        queueBackend: 'redis',
        metrics: hung.registry,
      });
      try {
        const started = performance.now();
        const scraped = await scrape(server.port);
        const elapsed = performance.now() - started;

        expect(elapsed).toBeLessThan(5_000);
        expect(scraped.types.get('punctual_queue_jobs')).toBe('gauge');
        expect(scraped.find('punctual_queue_jobs')).toEqual([]);
        expect(scraped.value(ATTEMPTS, { outcome: 'succeeded' })).toBe(0);
      } finally {
        server.server.close();
        void hungBackend.close();
        await silent.close();
      }
    });
  });
});
