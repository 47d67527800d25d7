import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { postgresAnswers } from '@punctual/db';
import { freePort, startTargetServer, TEST_JWT_SECRET, type TargetServer } from '@punctual/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PunctualClient, sleep } from './punctual-client.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Starts `pnpm start` leading a process group of its own, as a shell's foreground job does; resolves once the API
 * answers and the worker has started. (It builds first: nothing to do, the global setup has built.)
 */
async function startAll(env: Record<string, string>, apiUrl: string): Promise<Started> {
  const child = spawn('pnpm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (gone) throw new Error(`pnpm start exited before the API and the worker were ready. Output:\n${output}`);
    const response = await fetch(`${apiUrl}/health/live`).catch(() => null);
    if (response?.status === 200 && output.includes('"msg":"worker started"')) break;
    if (Date.now() > deadline) throw new Error(`pnpm start was not ready within 90 s. Output:\n${output}`);
    await sleep(200);
  }
  return { child, output: () => output, exited };
}

/** Ctrl-C: SIGINT to the whole foreground process group. */
async function interrupt(started: Started): Promise<number | null> {
  process.kill(-started.child.pid!, 'SIGINT');
  return started.exited;
}

describe('pnpm start in the single-machine mode (EMBEDDED=true)', () => {
  let dataDir: string;
  let target: TargetServer;
  let env: Record<string, string>;
  let apiUrl: string;
  let running: Started | undefined;

  beforeAll(async () => {
    [dataDir, target] = await Promise.all([mkdtemp(join(tmpdir(), 'punctual-single-machine-')), startTargetServer()]);
    const [port, workerPort, nowhere] = await Promise.all([freePort(), freePort(), freePort()]);
    apiUrl = `http://127.0.0.1:${port}`;
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] =>
          entry[1] !== undefined && !/^(DATABASE_URL|REDIS_URL|QUEUE_|EMBEDDED|DATA_DIR)/.test(entry[0]),
      ),
    );
    env = {
      ...inherited,
      EMBEDDED: 'true',
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      WORKER_HTTP_PORT: String(workerPort),
      ALLOW_PRIVATE_TARGETS: 'true',
      JWT_SECRET: TEST_JWT_SECRET,
      // Nothing listens there: the Postgres queue backend needs no Redis.
      REDIS_URL: `redis://127.0.0.1:${nowhere}`,
      LOG_LEVEL: 'info',
    };
  });

  afterAll(async () => {
    if (running && running.child.exitCode === null) await interrupt(running);
    await target?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('runs a task end to end on the embedded Postgres and its queue, stops on Ctrl-C with 0, and keeps it across a restart', async () => {
    running = await startAll(env, apiUrl);
    const announcement = running
      .output()
      .split('\n')
      .filter((line) => line.startsWith('punctual: EMBEDDED=true'));
    expect(announcement).toHaveLength(1);
    expect(announcement[0]).toMatch(
      new RegExp(
        `^punctual: EMBEDDED=true: single-machine mode, an embedded Postgres \\(created in ${dataDir}, postgres://postgres@127\\.0\\.0\\.1:\\d+/punctual.*\\) and QUEUE_BACKEND=postgres$`,
      ),
    );
    const health = (await (await fetch(`${apiUrl}/health`)).json()) as { checks: Record<string, unknown> };
    expect(health.checks).not.toHaveProperty('redis');

    const client = await PunctualClient.register(apiUrl);
    const path = `/ok/${randomUUID()}`;
    const task = await client.createTask({ url: `${target.url}${path}`, maxRetries: 0 });
    await target.waitForHits(1, { pathPrefix: path, timeoutMs: 30_000 });
    await client.waitForStatus(task.id, 'completed', 30_000);
    expect(await client.taskLogs(task.id)).toMatchObject([{ outcome: 'succeeded', statusCode: 200 }]);

    expect(await interrupt(running), running.output().slice(-4_000)).toBe(0);
    expect(running.output()).toMatch(/"name":"punctual-api".*"msg":"stopped"/);
    expect(running.output()).toMatch(/"name":"punctual-worker".*"msg":"stopped"/);
    // Postgres was stopped after them.
    const { port: postgresPort, password } = JSON.parse(await readFile(join(dataDir, 'embedded-postgres.json'), 'utf8')) as {
      port: number;
      password: string;
    };
    expect(await postgresAnswers(`postgres://postgres:${password}@127.0.0.1:${postgresPort}/punctual`, 2_000)).toBe(false);

    running = await startAll(env, apiUrl);
    expect(running.output()).toMatch(new RegExp(`an embedded Postgres \\(data in ${dataDir}, `));
    expect(await client.getTask(task.id)).toMatchObject({ id: task.id, status: 'completed', lastOutcome: 'succeeded' });
    expect(await client.taskLogs(task.id)).toHaveLength(1);
    expect(target.hitsFor(path)).toHaveLength(1);

    expect(await interrupt(running), running.output().slice(-4_000)).toBe(0);
  });

  it('refuses EMBEDDED=true beside a DATABASE_URL in one line, exiting 1 before it starts anything', async () => {
    const child = spawn('pnpm', ['start'], {
      cwd: ROOT,
      env: { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/punctual' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(1);
    // pnpm adds its own banner and exit line around it.
    expect(output.split('\n').filter((line) => line.startsWith('punctual'))).toEqual([
      'punctual: EMBEDDED=true runs its own Postgres, but DATABASE_URL is set too: unset one of them (EMBEDDED=false uses DATABASE_URL)',
    ]);
    expect(output).not.toMatch(/migration|"msg"/);
  });
});
