import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  createTestEnvironment,
  freePort,
  startApi,
  startRedisServer,
  startTargetServer,
  startWorker,
  TEST_JWT_SECRET,
  timedStop,
  type PunctualProcess,
  type RedisServer,
  type TargetServer,
  type TestEnvironment,
  useTestEnvironment,
} from '@punctual/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PunctualClient,
  printOutputOnFailure,
  punctualEnv,
  sleep,
  startApiAndWorker,
  stopAll,
  waitFor,
  workerIdOf,
} from './punctual-client.js';

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
    ({ api, worker, client } = await startApiAndWorker(env));
  });
  printOutputOnFailure(() => [api, worker, replacement]);

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

// Its own Redis, which is stopped here while an attempt is in flight.
describe('stopping a worker whose Redis went away', () => {
  let environment: TestEnvironment;
  let target: TargetServer;
  let redis: RedisServer;
  let api: PunctualProcess & { url: string };
  let worker: PunctualProcess;
  let client: PunctualClient;

  beforeAll(async () => {
    [environment, target, redis] = await Promise.all([createTestEnvironment(), startTargetServer(), startRedisServer()]);
    const env = punctualEnv(environment, { QUEUE_BACKEND: 'redis', REDIS_URL: redis.url });
    ({ api, worker, client } = await startApiAndWorker(env));
  });
  printOutputOnFailure(() => [api, worker]);

  afterAll(async () => {
    try {
      await stopAll([api]);
    } finally {
      await worker?.kill();
      await redis?.stop();
      await target?.close();
      await environment?.cleanup();
    }
  });

  it('finishes and records the attempt in flight on SIGTERM, leaves its retry to Postgres, and exits 0 in bounded time', async () => {
    const path = `/delay/4000/${randomUUID()}`;
    const task = await client.createTask({ url: `${target.url}${path}`, timeoutMs: 1_500, maxRetries: 3 });
    await target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });
    await redis.stop();

    const { code, elapsedMs } = await timedStop(worker, 'SIGTERM', 30_000);

    expect(code, worker.output()).toBe(0);
    // The attempt times out 1.5 s after it began; enqueueing its retry gives up after 5 s; closing after 3 s more.
    expect(elapsedMs).toBeLessThan(15_000);
    expect(worker.output()).toMatch(/"msg":"stopped"/);
    expect(worker.output()).not.toMatch(/"msg":"worker error"/);
    const { db } = environment;
    const logs = await db.selectFrom('task_logs').select(['outcome', 'worker_id']).where('task_id', '=', task.id).execute();
    expect(logs).toEqual([{ outcome: 'failed', worker_id: workerIdOf(worker) }]);
    // Its retry stays scheduled in Postgres: the reconciler enqueues it once Redis is back.
    const row = await db.selectFrom('tasks').select(['status', 'attempts']).where('id', '=', task.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'retrying', attempts: 1 });
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

describe('stopping `pnpm start:worker` by signalling its process group, as systemd does', () => {
  let environment: TestEnvironment;
  let target: TargetServer;
  let api: PunctualProcess & { url: string };
  let client: PunctualClient;

  beforeAll(async () => {
    [environment, target] = await Promise.all([createTestEnvironment(), startTargetServer()]);
    api = await startApi(punctualEnv(environment));
    client = await PunctualClient.register(api.url);
  });

  afterAll(async () => {
    try {
      await stopAll([api]);
    } finally {
      await target?.close();
      await environment?.cleanup();
    }
  });

  it('finishes and records the attempt in flight once, not as `worker lost`, and exits 0', async () => {
    const worker = startProcessGroup('start:worker', { ...punctualEnv(environment), WORKER_HTTP_PORT: '0' });
    try {
      await waitFor(() => expect(worker.output()).toMatch(/"msg":"worker started"/), 45_000);
      const path = `/delay/2500/${randomUUID()}`;
      const task = await client.createTask({ url: `${target.url}${path}`, maxRetries: 0 });
      await target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });

      worker.signalGroup('SIGTERM');
      // The group's SIGTERM reaches pnpm and the worker, and pnpm relays it to the worker: when the relay lands while
      // the first is still pending the kernel merges them, so the second one is sent here too, as pnpm would.
      await sleep(200);
      process.kill(Number(/"workerId":"[^"]*:(\d+)"/.exec(worker.output())![1]), 'SIGTERM');

      expect(await worker.exited, worker.output()).toBe(0);
      expect(worker.output()).toMatch(/SIGTERM again within 5000 ms: the same request to stop/);
      expect(worker.output()).not.toMatch(/stopping now|second SIG/);
      expect(worker.output()).toMatch(/"msg":"stopped"/);
      expect(await client.getTask(task.id)).toMatchObject({ status: 'completed', attempts: 1, lastOutcome: 'succeeded' });
      const logs = await client.taskLogs(task.id);
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatchObject({ outcome: 'succeeded', statusCode: 200, error: null });
    } finally {
      worker.kill();
    }
  });
});

describe('stopping `pnpm start` (API and worker in one command)', () => {
  const environment = useTestEnvironment();
  let target: TargetServer;

  beforeAll(async () => {
    target = await startTargetServer();
  });

  afterAll(async () => {
    await target?.close();
  });

  it('stops both gracefully on a Ctrl-C to the whole process group, finishing the attempt in flight, and exits 0', async () => {
    const { start, client } = await startAll(environment());
    try {
      const path = `/delay/2500/${randomUUID()}`;
      const task = await client.createTask({ url: `${target.url}${path}`, maxRetries: 0 });
      await target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });

      start.signalGroup('SIGINT');

      expect(await start.exited, start.output()).toBe(0);
      expect(start.output().match(/"msg":"stopped"/g), start.output()).toHaveLength(2);
      expect(start.output()).not.toMatch(/stopping now|second SIG/);
      const { db } = environment();
      const row = await db
        .selectFrom('tasks')
        .select(['status', 'attempts', 'last_outcome'])
        .where('id', '=', task.id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ status: 'completed', attempts: 1, last_outcome: 'succeeded' });
      const logs = await db.selectFrom('task_logs').select(['outcome', 'status_code', 'error']).where('task_id', '=', task.id).execute();
      expect(logs).toEqual([{ outcome: 'succeeded', status_code: 200, error: null }]);
    } finally {
      start.kill();
    }
  });

  it('kills both on a stop request after the repeat window (an attempt still in flight): no child survives', async () => {
    const { start, client } = await startAll(environment());
    try {
      const path = `/delay/120000/${randomUUID()}`;
      await client.createTask({ url: `${target.url}${path}`, maxRetries: 0, timeoutMs: 120_000 });
      await target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });
      const children = start.descendants();
      // pnpm (and its shell), start-all, the API and the worker.
      expect(children.length, JSON.stringify(children)).toBeGreaterThanOrEqual(3);

      start.signalGroup('SIGINT');
      await waitFor(() => expect(start.output()).toMatch(/"msg":"stopping: no new jobs/), 20_000);
      // The worker waits for its attempt (120 s); a second Ctrl-C past the repeat window (5 s, REPEAT_WINDOW_MS in
      // @punctual/process) means "now".
      await sleep(6_000);
      start.signalGroup('SIGINT');

      expect(await start.exited, start.output()).not.toBe(0);
      expect(start.output()).toMatch(/forcing the stop: SIGKILL to apps\/worker\/dist\/main\.js/);
      await waitFor(() => expect(children.filter(isAlive), JSON.stringify(children)).toEqual([]), 10_000);
    } finally {
      start.kill();
    }
  });
});

/** `pnpm start` (API and worker) as a process group, once both are up, with a client registered with its API. */
async function startAll(environment: TestEnvironment) {
  const port = await freePort();
  const start = startProcessGroup('start', { ...punctualEnv(environment), PORT: String(port), WORKER_HTTP_PORT: '0' });
  try {
    // `pnpm start` builds (nothing to do: the global setup has built) and migrates first.
    await waitFor(() => {
      expect(start.output()).toMatch(/"msg":"worker started"/);
      expect(start.output()).toMatch(/Server listening/);
    }, 90_000);
    return { start, client: await PunctualClient.register(`http://127.0.0.1:${port}`) };
  } catch (error) {
    start.kill();
    throw error;
  }
}

/** Whether `pid` is a live process (a zombie, waiting to be reaped, is not). */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Every process below `root` (Linux /proc), children before grandchildren. */
function descendantsOf(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "<pid> (<comm>) <state> <ppid> …": comm may hold spaces and parentheses, so split after its last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  let generation = [root];
  while (generation.length > 0) {
    generation = [...parents].filter(([, parent]) => generation.includes(parent)).map(([pid]) => pid);
    found.push(...generation);
  }
  return found;
}

/**
 * `pnpm <script>` from the repository root, leading a process group of its own (`detached`) as a shell's foreground
 * job or a systemd service does, so a signal to the group reaches pnpm and everything it started.
 */
function startProcessGroup(script: string, env: Record<string, string>) {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    JWT_SECRET: TEST_JWT_SECRET,
    ...env,
  };
  for (const key of Object.keys(childEnv)) if (/^_*VITEST/.test(key)) delete childEnv[key];
  const child = spawn('pnpm', [script], { cwd: root, env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is gone already.
    }
  };
  const descendants = (): number[] => (child.pid === undefined ? [] : descendantsOf(child.pid));
  // start-all runs the API and the worker in process groups of their own: killing pnpm's group would leave them
  // running, so each process below it is killed with its group (found before pnpm goes, while they are still below it).
  const kill = (): void => {
    const below = descendants();
    signalGroup('SIGKILL');
    for (const pid of below) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // Not a group leader, or gone already.
        }
      }
    }
  };
  return { output: () => output, exited, signalGroup, descendants, kill };
}
