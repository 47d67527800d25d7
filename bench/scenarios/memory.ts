import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisConnection, createRedisTaskQueue } from '@punctual/queue';
import { startApi, startTargetServer, startWorker } from '@punctual/testing';
import { registerUser } from '../api-session.js';
import { createBenchEnvironment } from '../bench-environment.js';
import { FAR_FUTURE_MS } from '../http-load.js';
import { startRssSampler } from '../rss-sampler.js';
import type { Scenario } from '../scenario.js';
import { createTemplateTask, enqueueDue, seedDueTasks } from '../seed-tasks.js';
import { READY, readExtraOptions } from './extra-options.js';

const SCENARIO = 'memory';
/** Idle processes are read after this long, once start-up garbage has been collected. */
const SETTLE_MS = 5_000;
/** The feeder tops the queue up each tick to this many calls per unit of concurrency ahead of the target. */
const BACKLOG_PER_SLOT = 3;
const FEED_INTERVAL_MS = 500;
/** How much the last tenth's peak may exceed the second tenth's for the memory to count as flat. */
const FLAT_RATIO = 1.1;

/**
 * Resident memory (`VmRSS`) of the compiled API and worker, idle, then of the worker at WORKER_CONCURRENCY 100
 * calling a local target that answers every call with a 5 MB body, kept busy for BENCH_MEMORY_SECONDS (a feeder seeds
 * due tasks through SQL and adds their jobs, keeping a backlog). The run is cut into ten equal windows (a minute each
 * at the full 600 s): "flat" is the peak of the last window ≤ 1.1 × the peak of the second (the first holds the
 * warm-up).
 */
export const MEMORY_SCENARIO: Scenario = {
  name: SCENARIO,
  title: 'RSS idle ≤ 120 MiB (API, worker); worker at concurrency 100, 5 MB responses: peak ≤ 250 MiB, last tenth ≤ 1.1 × second',
  runs: 1,
  async run(context) {
    const { options, size, teardown } = context;
    const log = (message: string): void => context.log(message);
    const extra = readExtraOptions(size);
    const environment = await createBenchEnvironment(options);
    teardown.push(() => environment.cleanup());
    const target = await startTargetServer();
    teardown.push(() => target.close());
    const redis = createRedisConnection(options.redisUrl, { blocking: true });
    teardown.push(async () => redis.disconnect());
    const queue = createRedisTaskQueue({ connection: redis, prefix: environment.queuePrefix });
    teardown.push(() => queue.close());

    const api = await startApi(environment.processEnv, READY);
    teardown.push(() => api.stop());
    const worker = await startWorker({ ...environment.processEnv, WORKER_CONCURRENCY: String(extra.memoryConcurrency) }, READY);
    teardown.push(() => worker.stop());
    // Several samples in each tenth of the run, however short (the tiny size runs for seconds).
    const rss = startRssSampler([api.pid, worker.pid], Math.min(1_000, Math.max(100, (extra.memorySeconds * 1_000) / 50)));
    teardown.push(async () => rss.stop());
    await sleep(SETTLE_MS);
    const idle = { api: await rss.read(api.pid), worker: await rss.read(worker.pid) };
    log(`idle RSS: API ${idle.api?.toFixed(0)} MiB, worker ${idle.worker?.toFixed(0)} MiB`);

    const session = await registerUser(api.url);
    const path = `/big/${extra.memoryResponseBytes}/memory/`;
    const templateId = await createTemplateTask(session, {
      name: 'memory template',
      url: `${target.url}${path}`,
      method: 'GET',
      scheduledAt: new Date(Date.now() + FAR_FUTURE_MS).toISOString(),
      maxRetries: 0,
    });

    log(`worker at WORKER_CONCURRENCY=${extra.memoryConcurrency}, ${extra.memoryResponseBytes} B responses, for ${extra.memorySeconds} s`);
    const startedAt = Date.now();
    const endsAt = startedAt + extra.memorySeconds * 1_000;
    let seeded = 0;
    while (Date.now() < endsAt) {
      const backlog = seeded - target.hitsFor(path).length;
      const wanted = BACKLOG_PER_SLOT * extra.memoryConcurrency - backlog;
      if (wanted > 0) {
        await enqueueDue(queue, await seedDueTasks(environment.pool, templateId, `${target.url}${path}`, wanted, { analyze: false }));
        seeded += wanted;
      }
      await sleep(FEED_INTERVAL_MS);
    }
    const endedAt = Date.now();
    const calls = target.hitsFor(path).length;
    const tenth = (endedAt - startedAt) / 10;
    const windowPeaks = Array.from({ length: 10 }, (_, index) =>
      rss.peak(worker.pid, startedAt + index * tenth, startedAt + (index + 1) * tenth),
    );
    const second = windowPeaks[1] ?? null;
    const last = windowPeaks[9] ?? null;
    const peak = rss.peak(worker.pid, startedAt, endedAt);
    const apiPeak = rss.peak(api.pid, startedAt, endedAt);
    log(`${calls} calls; worker RSS by tenth: ${windowPeaks.map((mib) => mib?.toFixed(0) ?? '?').join(', ')} MiB`);

    return {
      measurements: [
        { scenario: SCENARIO, metric: 'API RSS idle', value: idle.api, unit: 'MiB', target: { op: '<=', value: 120 } },
        { scenario: SCENARIO, metric: 'worker RSS idle', value: idle.worker, unit: 'MiB', target: { op: '<=', value: 120 } },
        {
          scenario: SCENARIO,
          metric: `worker RSS peak, c${extra.memoryConcurrency} × 5 MB`,
          value: peak,
          unit: 'MiB',
          target: { op: '<=', value: 250 },
        },
        { scenario: SCENARIO, metric: 'worker RSS peak, second tenth', value: second, unit: 'MiB' },
        {
          scenario: SCENARIO,
          metric: 'worker RSS peak, last tenth / second',
          value: second === null || last === null ? null : last / second,
          unit: '×',
          target: { op: '<=', value: FLAT_RATIO },
        },
        { scenario: SCENARIO, metric: 'calls made', value: calls / ((endedAt - startedAt) / 1_000), unit: '/s' },
      ],
      raw: { idle, peak, apiPeak, windowPeaks, calls, seconds: (endedAt - startedAt) / 1_000 },
    };
  },
};
