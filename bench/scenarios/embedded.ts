import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@punctual/config';
import { startBackends } from '@punctual/embedded';
import { createQueueBackend } from '@punctual/queue';
import { runMigrate, startApi, startTargetServer, startWorker, TEST_JWT_SECRET, withDatabase } from '@punctual/testing';
import pg from 'pg';
import { registerUser } from '../api-session.js';
import { drainDueTasks } from '../drain-run.js';
import { FAR_FUTURE_MS } from '../http-load.js';
import { measureLoneLateness } from '../lone-lateness.js';
import type { Scenario } from '../scenario.js';
import { createBackendReader } from '../scaling-probes.js';
import { createTemplateTask, seedDueTasks } from '../seed-tasks.js';
import { READY, readExtraOptions } from './extra-options.js';

const SCENARIO = 'embedded';

/**
 * The single-machine mode: `EMBEDDED=true pnpm start`'s backends (an embedded Postgres under a temporary DATA_DIR, and
 * QUEUE_BACKEND=postgres: no Redis at all) and the process environment it gives the API and the worker. One worker at
 * its default concurrency drains due tasks, then lone delayed tasks are timed as in `lone`.
 */
export const EMBEDDED_SCENARIO: Scenario = {
  name: SCENARIO,
  title: 'embedded Postgres, QUEUE_BACKEND=postgres: drain ≥ 500 tasks/s (one worker); lone lateness p99 ≤ 50 ms',
  runs: 1,
  async run(context) {
    const { size, teardown } = context;
    const log = (message: string): void => context.log(message);
    const extra = readExtraOptions(size);
    const dataDir = await mkdtemp(join(tmpdir(), 'punctual-bench-embedded-'));
    teardown.push(() => rm(dataDir, { recursive: true, force: true }));
    log(`starting an embedded Postgres in ${dataDir}`);
    // The variables `pnpm start` decides from: EMBEDDED=true and DATA_DIR only (a DATABASE_URL would be refused).
    const backends = await startBackends({ EMBEDDED: 'true', DATA_DIR: dataDir });
    teardown.push(() => backends.stop());
    const processEnv: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      JWT_SECRET: TEST_JWT_SECRET,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      ALLOW_PRIVATE_TARGETS: 'true',
      RATE_LIMIT_MAX: '10000000',
      AUTH_RATE_LIMIT_MAX: '10000000',
      // One user's tasks, as in every scenario (see bench-environment.ts).
      USER_CONCURRENCY: '1000',
      ...backends.env,
    };
    // What the processes will read, so that the bench's queue is theirs (and not one a QUEUE_PREFIX of the shell names).
    processEnv.QUEUE_PREFIX = loadConfig(processEnv).queuePrefix;
    const databaseUrl = backends.env.DATABASE_URL!;
    const migration = await runMigrate(processEnv);
    if (migration.code !== 0) throw new Error(`migrations failed (exit code ${String(migration.code)}):\n${migration.output}`);

    const target = await startTargetServer();
    teardown.push(() => target.close());
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, application_name: 'punctual-bench' });
    // pg-pool's end() resolves before its clients' sessions have ended: on a loaded machine the embedded Postgres may
    // be shut down (next steps of the teardown) before one has, which then errors ("terminating connection due to
    // administrator command"), and an error nobody listens for ended the whole bench before it wrote its results.
    pool.on('error', () => {});
    teardown.push(() => pool.end());
    const monitor = new pg.Client({ connectionString: withDatabase(databaseUrl, 'postgres'), application_name: 'punctual-bench' });
    monitor.on('error', () => {});
    await monitor.connect();
    teardown.push(() => monitor.end());
    const queueBackend = await createQueueBackend({
      backend: 'postgres',
      redisUrl: '',
      databaseUrl,
      prefix: processEnv.QUEUE_PREFIX,
    });
    teardown.push(() => queueBackend.close());

    const api = await startApi(processEnv, READY);
    teardown.push(() => api.stop());
    const session = await registerUser(api.url);
    const templateId = await createTemplateTask(session, {
      name: 'embedded template',
      url: `${target.url}/ok/template`,
      method: 'POST',
      body: { hello: 'world' },
      scheduledAt: new Date(Date.now() + FAR_FUTURE_MS).toISOString(),
      maxRetries: 0,
    });
    const path = '/ok/embedded-drain/';
    const jobs = await seedDueTasks(pool, templateId, `${target.url}${path}`, extra.embeddedTasks);
    const worker = await startWorker(processEnv, READY);
    teardown.push(() => worker.stop());

    log(`draining ${extra.embeddedTasks} due tasks with one worker`);
    const drain = await drainDueTasks({
      pool,
      queue: queueBackend.tasks,
      target,
      path,
      jobs,
      workerPids: [worker.pid],
      readBackends: createBackendReader(monitor, new URL(databaseUrl).pathname.slice(1)),
      redis: null,
    });
    log(`${extra.loneSamples} lone tasks, each due 1–2 s after its creation`);
    const lone = await measureLoneLateness(session, target, { samples: extra.loneSamples, log });

    return {
      measurements: [
        {
          scenario: SCENARIO,
          metric: `drain ${extra.embeddedTasks}, one worker`,
          value: drain.attemptsPerSecond,
          unit: 'tasks/s',
          target: { op: '>=', value: 500 },
        },
        { scenario: SCENARIO, metric: 'drain, worker CPU per attempt', value: drain.workerCpuMsPerAttempt, unit: 'ms' },
        { scenario: SCENARIO, metric: 'drain, Postgres CPU per attempt', value: drain.postgresCpuMsPerAttempt, unit: 'ms' },
        {
          scenario: SCENARIO,
          metric: 'drain, successes',
          value: drain.succeededLogs,
          unit: '',
          target: { op: '=', value: drain.attempts },
        },
        { scenario: SCENARIO, metric: 'drain, duplicate calls', value: drain.duplicateCalls, unit: '', target: { op: '=', value: 0 } },
        { scenario: SCENARIO, metric: 'lone lateness p50', value: lone.p50Ms, unit: 'ms' },
        { scenario: SCENARIO, metric: 'lone lateness p99', value: lone.p99Ms, unit: 'ms', target: { op: '<=', value: 50 } },
        { scenario: SCENARIO, metric: 'lone lateness max', value: lone.maxMs, unit: 'ms' },
      ],
      raw: { drain, lone: lone.samples },
    };
  },
};
