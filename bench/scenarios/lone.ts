import { startApi, startRedisServer, startTargetServer, startWorker } from '@punctual/testing';
import { registerUser } from '../api-session.js';
import { createBenchEnvironment } from '../bench-environment.js';
import { measureLoneLateness } from '../lone-lateness.js';
import type { Scenario } from '../scenario.js';
import { READY, readExtraOptions } from './extra-options.js';

const SCENARIO = 'lone';

/**
 * A lone delayed task on an otherwise idle system: one API, one worker, and a private `redis-server` at its default
 * configuration (`hz` 10: Redis's timer is the operator's, not ours), so nothing else's traffic wakes the worker.
 */
export const LONE_SCENARIO: Scenario = {
  name: SCENARIO,
  title: 'a lone delayed task, idle system, Redis defaults (hz 10): lateness p99 ≤ 20 ms',
  async run(context) {
    const { options, size, teardown } = context;
    const log = (message: string): void => context.log(message);
    const { loneSamples } = readExtraOptions(size);
    const redis = await startRedisServer();
    teardown.push(() => redis.stop());
    const environment = await createBenchEnvironment({ databaseUrl: options.databaseUrl, redisUrl: redis.url });
    teardown.push(() => environment.cleanup());
    const target = await startTargetServer();
    teardown.push(() => target.close());
    const api = await startApi(environment.processEnv, READY);
    teardown.push(() => api.stop());
    const worker = await startWorker(environment.processEnv, READY);
    teardown.push(() => worker.stop());

    log(`${loneSamples} lone tasks, each due 1–2 s after its creation`);
    const lateness = await measureLoneLateness(await registerUser(api.url), target, { samples: loneSamples, log });
    return {
      measurements: [
        { scenario: SCENARIO, metric: 'lateness p50', value: lateness.p50Ms, unit: 'ms' },
        { scenario: SCENARIO, metric: 'lateness p99', value: lateness.p99Ms, unit: 'ms', target: { op: '<=', value: 20 } },
        { scenario: SCENARIO, metric: 'lateness max', value: lateness.maxMs, unit: 'ms' },
      ],
      raw: { samples: lateness.samples },
    };
  },
};
