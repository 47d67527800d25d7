import { randomUUID } from 'node:crypto';
import {
  createTestEnvironment,
  startApi,
  startTargetServer,
  startWorker,
  type PunctualProcess,
  type TargetServer,
  type TestEnvironment,
} from '@punctual/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PunctualClient, punctualEnv, recentOutput, sleep, stopAll, workerIdOf } from './punctual-client.js';

// Its own API and worker: the worker is stopped here, which the pipeline's scenarios must not see.
describe('stopping a worker', () => {
  let environment: TestEnvironment;
  let target: TargetServer;
  let env: Record<string, string>;
  let api: PunctualProcess & { url: string };
  let worker: PunctualProcess;
  let replacement: PunctualProcess | undefined;
  let client: PunctualClient;

  beforeAll(async () => {
    [environment, target] = await Promise.all([createTestEnvironment(), startTargetServer()]);
    env = punctualEnv(environment);
    [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
    client = await PunctualClient.register(api.url);
  });

  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => console.log(recentOutput([api, worker, replacement])));
  });

  afterAll(async () => {
    try {
      await stopAll([api, worker, replacement]);
    } finally {
      await target?.close();
      await environment?.cleanup();
    }
  });

  it('finishes and records the attempt in flight on SIGTERM, then exits with code 0', async () => {
    const path = `/delay/1500/${randomUUID()}`;
    const task = await client.createTask({ url: `${target.url}${path}`, maxRetries: 0 });
    const [hit] = await target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });

    const code = await worker.stop('SIGTERM', 20_000);
    const exitedAt = Date.now();
    expect(code, worker.output()).toBe(0);
    // It waited for the response, due 1500 ms after the request arrived.
    expect(exitedAt - hit!.receivedAt.getTime()).toBeGreaterThanOrEqual(1_400);
    expect(worker.output()).toMatch(/"msg":"stopped"/);

    const done = await client.getTask(task.id);
    expect(done).toMatchObject({ status: 'completed', attempts: 1, runCount: 1, lastOutcome: 'succeeded', lastStatusCode: 200 });
    const logs = await client.taskLogs(task.id);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ outcome: 'succeeded', statusCode: 200, workerId: workerIdOf(worker) });
    expect(logs[0]!.durationMs).toBeGreaterThanOrEqual(1_400);
  });

  it('keeps a task created while no worker runs, and a worker started later makes it once', async () => {
    const path = `/ok/${randomUUID()}`;
    const task = await client.createTask({ url: `${target.url}${path}` });
    await sleep(500);
    expect(target.hitsFor(path)).toHaveLength(0);
    expect((await client.getTask(task.id)).status).toBe('pending');

    replacement = await startWorker(env, { name: 'replacement worker' });
    await target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });
    const done = await client.waitForStatus(task.id, 'completed');
    expect(done.runCount).toBe(1);
    const logs = await client.taskLogs(task.id);
    expect(logs).toHaveLength(1);
    expect(logs[0]!.workerId).toBe(workerIdOf(replacement));
  });
});
