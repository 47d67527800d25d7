import { createRedisConnection, type Redis } from '@punctual/queue';
import { startRedisServer, startTargetServer, type RedisServer, type TargetServer } from '@punctual/testing';
import { createBenchEnvironment, type BenchEnvironment } from '../bench-environment.js';
import type { ScenarioContext } from '../scenario.js';

/** What the scenarios that read Redis's own figures (memory, CPU) run on: nothing else's keys or commands in it. */
export interface PrivateRedisStack {
  redisServer: RedisServer;
  environment: BenchEnvironment;
  target: TargetServer;
  /** A connection to the private server, for BullMQ and `INFO`. */
  redis: Redis;
}

/** A private `redis-server`, the bench database beside it, a local target and a connection; all in the run's teardown. */
export async function startPrivateRedisStack(context: Pick<ScenarioContext, 'options' | 'teardown'>): Promise<PrivateRedisStack> {
  const { options, teardown } = context;
  const redisServer = await startRedisServer();
  teardown.push(() => redisServer.stop());
  const environment = await createBenchEnvironment({ databaseUrl: options.databaseUrl, redisUrl: redisServer.url });
  teardown.push(() => environment.cleanup());
  const target = await startTargetServer();
  teardown.push(() => target.close());
  const redis = createRedisConnection(redisServer.url, { blocking: true });
  teardown.push(async () => redis.disconnect());
  return { redisServer, environment, target, redis };
}
