import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase, pingDatabase, type Database, type Kysely } from '@punctual/db';
import { createRedisConnection, TASKS_QUEUE, type Redis } from '@punctual/queue';
import {
  createTestEnvironment,
  postgresServerAvailable,
  startPostgresServer,
  type PostgresServer,
  type TestEnvironment,
} from '@punctual/testing';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseGate, type DatabaseGate } from '../src/database-gate.js';
import { capturingLogger } from './log-capture.js';

const PROBE_INTERVAL_MS = 200;

/** Polls `condition` until it holds or `timeoutMs` passes (room for a loaded two-core machine). */
async function eventually(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe.skipIf(!postgresServerAvailable())('the database gate', { timeout: 90_000 }, () => {
  let env: TestEnvironment;
  let postgres: PostgresServer;
  let db: Kysely<Database>;
  let connection: Redis;
  let worker: Worker;
  let gate: DatabaseGate;
  const { logger, messages } = capturingLogger();
  const calls = { pause: 0, resume: 0 };

  beforeAll(async () => {
    env = await createTestEnvironment();
    postgres = await startPostgresServer();
    db = createDatabase(postgres.url, { maxConnections: 2 });
    connection = createRedisConnection(env.redisUrl, { blocking: true });
    // A real BullMQ worker, paused and resumed as the worker process does it; it never gets a job here.
    worker = new Worker(TASKS_QUEUE, async () => {}, { connection, prefix: env.queuePrefix });
    await worker.waitUntilReady();
    gate = createDatabaseGate({
      pause: async () => {
        calls.pause++;
        await worker.pause(true);
      },
      resume: () => {
        calls.resume++;
        return worker.resume();
      },
      probe: () => pingDatabase(db),
      probeIntervalMs: PROBE_INTERVAL_MS,
      logger,
    });
  });

  afterAll(async () => {
    gate?.stop();
    await worker?.close();
    connection?.disconnect();
    await db?.destroy();
    await postgres?.remove();
    await env?.cleanup();
  });

  it('pauses the worker once while Postgres is away, keeps it paused, and resumes it when Postgres is back', async () => {
    await postgres.stop();
    gate.close();
    gate.close(); // a second failure while closed changes nothing
    await eventually(() => worker.isPaused(), 10_000);
    expect(calls.pause).toBe(1);

    // Several probe intervals with Postgres down: the probes fail, the worker stays paused.
    await sleep(PROBE_INTERVAL_MS * 5);
    expect(worker.isPaused()).toBe(true);
    expect(calls.resume).toBe(0);

    await postgres.restart();
    await eventually(() => !worker.isPaused(), 20_000);
    expect(calls).toEqual({ pause: 1, resume: 1 });
    expect(messages()).toEqual(['Postgres is not answering: pausing until it is back', 'Postgres answers again: taking jobs']);
  });

  it('closes again on the next failure, and stops probing once stopped', async () => {
    await postgres.stop();
    gate.close();
    await eventually(() => worker.isPaused(), 10_000);
    expect(calls.pause).toBe(2);

    gate.stop();
    await postgres.restart();
    await sleep(PROBE_INTERVAL_MS * 10);
    expect(worker.isPaused()).toBe(true);
    expect(calls.resume).toBe(1);
  });
});
