import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  createTestEnvironment,
  freePort,
  startApi,
  startTargetServer,
  startWorker,
  type PunctualProcess,
  type TargetServer,
  type TestEnvironment,
  useTestEnvironment,
} from '@punctual/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PunctualClient, punctualEnv, recentOutput, sleep, stopAll, waitFor, workerIdOf } from './punctual-client.js';

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

describe('stopping the API', () => {
  let environment: TestEnvironment;
  let api: PunctualProcess & { url: string };

  beforeAll(async () => {
    environment = await createTestEnvironment();
    api = await startApi(punctualEnv(environment));
  });

  afterAll(async () => {
    try {
      await stopAll([api]);
    } finally {
      await environment?.cleanup();
    }
  });

  it('answers the requests in flight on SIGTERM, refuses new ones, closes kept-alive connections, and exits 0 at once', async () => {
    const client = await PunctualClient.register(api.url);
    const outcomes = Array.from({ length: 60 }, () =>
      client
        .request<{ id: string }>('POST', '/api/v1/tasks', {
          name: 'in flight',
          url: 'https://example.com/hook',
          scheduledAt: '2030-01-01T00:00:00Z',
        })
        .then(
          (response): { status: number; id?: string; error?: string } => ({ status: response.status, id: response.body?.id }),
          (error: unknown): { status: number; id?: string; error?: string } => ({
            status: 0,
            error: String((error as { cause?: unknown }).cause ?? error),
          }),
        ),
    );
    await sleep(20);
    const stopping = Date.now();
    const code = await api.stop('SIGTERM', 20_000);

    expect(code, api.output()).toBe(0);
    // Well inside the 10 s grace: no kept-alive connection holds the process open.
    expect(Date.now() - stopping).toBeLessThan(5_000);
    const settled = await Promise.all(outcomes);
    // A request either got its answer, was refused with 503 (it arrived once closing had begun), or was never read
    // (its connection reset): none was cut off half-done, and only the 201s stored anything.
    for (const outcome of settled) {
      if (outcome.status === 0) expect(outcome.error).toMatch(/ECONNREFUSED|ECONNRESET|other side closed|SocketError/);
      else expect([201, 503]).toContain(outcome.status);
    }
    const created = settled.filter((outcome) => outcome.status === 201).map((outcome) => outcome.id!);
    expect(created.length).toBeGreaterThan(0);
    const stored = await environment.db.selectFrom('tasks').select('id').where('user_id', '=', client.userId).execute();
    expect(stored.map((row) => row.id).sort()).toEqual(created.sort());
  });
});

describe('stopping `pnpm start` (API and worker in one command)', () => {
  const environment = useTestEnvironment();

  it('stops both gracefully on a Ctrl-C to the whole process group, and exits 0', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...punctualEnv(environment()),
      PORT: String(await freePort()),
      WORKER_HTTP_PORT: '0',
      LOG_LEVEL: 'info',
    };
    for (const key of Object.keys(env)) if (/^_*VITEST/.test(key)) delete env[key];
    // Its own process group, as a shell gives a foreground job: the terminal's SIGINT goes to every process in it.
    const start = spawn(process.execPath, ['scripts/start-all.mjs'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    start.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    start.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => start.once('close', (code) => resolve(code)));
    try {
      await waitFor(() => {
        expect(output).toMatch(/"msg":"worker started"/);
        expect(output).toMatch(/Server listening/);
      }, 45_000);

      process.kill(-start.pid!, 'SIGINT');

      expect(await exited, output).toBe(0);
      expect(output.match(/"msg":"stopped"/g), output).toHaveLength(2);
      expect(output).not.toMatch(/second SIG/);
    } finally {
      if (start.exitCode === null) process.kill(-start.pid!, 'SIGKILL');
    }
  });
});
