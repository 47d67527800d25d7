import { cpus, totalmem } from 'node:os';
import { createRedisConnection, waitForRedisReady } from '@punctual/queue';
import type pg from 'pg';

export interface MachineDescription {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  postgres: string;
  redis: string;
}

/** What the numbers were measured on: this machine, and the versions of the servers the bench used. */
export async function describeMachine(pool: pg.Pool, redisUrl: string): Promise<MachineDescription> {
  const postgres = (await pool.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  const redis = createRedisConnection(redisUrl);
  let redisVersion = 'unknown';
  try {
    if (await waitForRedisReady(redis, 5_000))
      redisVersion = /^redis_version:(.+)$/m.exec(await redis.info('server'))?.[1]?.trim() ?? 'unknown';
  } finally {
    redis.disconnect();
  }
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    postgres: postgres.split(' ')[0]!,
    redis: redisVersion,
  };
}
