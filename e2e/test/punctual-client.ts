import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createPunctualClient, type CreateTaskBody, type PunctualClient as ApiClient, type Task, type TaskLog } from '@punctual/client';
import type { Page } from '@punctual/contract';
import {
  createTestEnvironment,
  startApi,
  startTargetServer,
  startWorker,
  type PunctualProcess,
  type TargetServer,
  type TestEnvironment,
} from '@punctual/testing';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';

// The response shapes are the typed client's (generated from the API's OpenAPI document); the values each test expects
// stay in the test.
export type { Page, Task, TaskLog };

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

const PASSWORD = 'correct horse battery staple';

/**
 * A user's session with a running API, spoken to over real HTTP: `api` is @punctual/client with the session's token
 * (what the dashboard and the CLI use); `request` sends anything at all, for the tests that probe refusals.
 */
export class PunctualClient {
  readonly api: ApiClient;

  private constructor(
    readonly baseUrl: string,
    readonly token: string,
    readonly userId: string,
  ) {
    this.api = createPunctualClient({ baseUrl, token });
  }

  /** Registers a fresh account (a unique email) and keeps its token. */
  static async register(baseUrl: string): Promise<PunctualClient> {
    const { data, error, response } = await createPunctualClient({ baseUrl }).POST('/api/v1/auth/register', {
      body: { email: `e2e-${randomUUID()}@example.com`, password: PASSWORD },
    });
    expect(response.status, JSON.stringify(error)).toBe(201);
    return new PunctualClient(baseUrl, data!.token, data!.user.id);
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text === '' ? null : JSON.parse(text)) as T };
  }

  /** `POST /api/v1/tasks`, expecting 201. */
  async createTask(input: Record<string, unknown>): Promise<Task> {
    const { data, error, response } = await this.api.POST('/api/v1/tasks', { body: { name: 'e2e task', ...input } as CreateTaskBody });
    expect(response.status, JSON.stringify(error)).toBe(201);
    return data!;
  }

  /** `PATCH /api/v1/tasks/:id` moving a one-off task to `time`, expecting 200. */
  async reschedule(id: string, time: Date): Promise<Task> {
    const { data, error, response } = await this.api.PATCH('/api/v1/tasks/{id}', {
      params: { path: { id } },
      body: { scheduledAt: time.toISOString() },
    });
    expect(response.status, JSON.stringify(error)).toBe(200);
    return data!;
  }

  /** `GET /api/v1/tasks/:id`, expecting 200. */
  async getTask(id: string): Promise<Task> {
    const { data, error, response } = await this.api.GET('/api/v1/tasks/{id}', { params: { path: { id } } });
    expect(response.status, JSON.stringify(error)).toBe(200);
    return data!;
  }

  /** The task's attempts, oldest first (the API lists newest first). */
  async taskLogs(id: string): Promise<TaskLog[]> {
    const { data, error, response } = await this.api.GET('/api/v1/tasks/{id}/logs', { params: { path: { id }, query: { limit: 100 } } });
    expect(response.status, JSON.stringify(error)).toBe(200);
    return [...data!.data].reverse();
  }

  /** Polls the task until its status is `status`, and returns it. */
  async waitForStatus(id: string, status: Task['status'], timeoutMs = 15_000): Promise<Task> {
    return waitFor(async () => {
      const task = await this.getTask(id);
      expect(task.status, `task ${id}`).toBe(status);
      return task;
    }, timeoutMs);
  }
}

/**
 * Runs `check` until it stops throwing and returns its result; after `timeoutMs` rethrows its last error, so a
 * failure shows the assertion that never came true.
 */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 15_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) {
        if (error instanceof Error) error.message = `still failing after ${timeoutMs} ms: ${error.message}`;
        throw error;
      }
    }
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export function sleepUntil(time: Date): Promise<void> {
  return sleep(time.getTime() - Date.now());
}

export function secondsFromNow(seconds: number): Date {
  return new Date(Date.now() + seconds * 1000);
}

/** The `workerId` a worker process records on its attempts (`<hostname>:<pid>`). */
export function workerIdOf(worker: PunctualProcess): string {
  return `${hostname()}:${worker.pid}`;
}

/**
 * Environment for this file's Punctual processes: its own database and queue prefix, short retry delays so retries
 * are quick, and private targets allowed (the target server listens on 127.0.0.1).
 */
export function punctualEnv(environment: TestEnvironment, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...environment.processEnv,
    WORKER_CONCURRENCY: '20',
    RETRY_DELAY_MS: '200',
    REQUEST_TIMEOUT_MS: '5000',
    ALLOW_PRIVATE_TARGETS: 'true',
    ...extra,
  };
}

/** Stops the processes (SIGTERM), each expected to exit with code 0, even if some of them failed to start. */
export async function stopAll(processes: Array<PunctualProcess | undefined>): Promise<void> {
  const started = processes.filter((child): child is PunctualProcess => child !== undefined);
  const results = await Promise.allSettled(started.map((child) => child.stop()));
  results.forEach((result, index) => {
    const child = started[index]!;
    if (result.status === 'rejected') throw result.reason;
    expect(result.value, `${child.name} exit code. Output:\n${child.output().slice(-4_000)}`).toBe(0);
  });
}

/** The end of each process's log, without the per-request lines: printed when a test fails. */
export function recentOutput(processes: Array<PunctualProcess | undefined>, lines = 30): string {
  return processes
    .filter((child): child is PunctualProcess => child !== undefined)
    .map((child) => {
      const kept = child
        .output()
        .split('\n')
        .filter((line) => line !== '' && !/"msg":"(incoming request|request completed)"/.test(line));
      return `--- ${child.name} (pid ${child.pid}) ---\n${kept.slice(-lines).join('\n')}`;
    })
    .join('\n');
}

/** A unique value per name, `<prefix>-<uuid>` (prefixes by name), so that finding one where it must not be is a leak. */
export function uniqueSecrets<Name extends string>(prefixes: Record<Name, string>): Record<Name, string> {
  return Object.fromEntries(Object.entries<string>(prefixes).map(([name, prefix]) => [name, `${prefix}-${randomUUID()}`])) as Record<
    Name,
    string
  >;
}

/** An API and a worker on `env`, and a client registered with the API (a fresh account). */
export async function startApiAndWorker(env: Record<string, string>) {
  const [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
  return { api, worker, client: await PunctualClient.register(api.url) };
}

/** For the enclosing describe: a failing test prints the end of each process's log (see `recentOutput`). */
export function printOutputOnFailure(processes: () => Array<PunctualProcess | undefined>): void {
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => console.log(recentOutput(processes())));
  });
}

/** The processes and fixtures of a file's scenarios, set once its `beforeAll` has run. */
export interface RunningStack {
  environment: TestEnvironment;
  target: TargetServer;
  api: PunctualProcess & { url: string };
  workers: Array<PunctualProcess & { healthUrl: string }>;
}

/**
 * For the enclosing describe: before its tests, a fresh environment, a target server, one API and `workers` workers
 * (real processes, with `env()` added to their environment); after them, everything stopped (each process must exit 0) and cleaned up. A failing test prints
 * the end of every process's log.
 */
export function useRunningStack(
  options: { workers?: number; env?: () => Record<string, string>; queueBackend?: TestEnvironment['queueBackend'] } = {},
): RunningStack {
  const stack = {} as RunningStack;
  beforeAll(async () => {
    [stack.environment, stack.target] = await Promise.all([
      createTestEnvironment({ queueBackend: options.queueBackend }),
      startTargetServer(),
    ]);
    const env = punctualEnv(stack.environment, options.env?.());
    const workerCount = options.workers ?? 2;
    [stack.api, ...stack.workers] = await Promise.all([
      startApi(env),
      ...Array.from({ length: workerCount }, (_, index) => startWorker(env, { name: `worker-${index + 1}` })),
    ]);
  });

  printOutputOnFailure(() => [stack.api, ...(stack.workers ?? [])]);

  afterAll(async () => {
    try {
      await stopAll([stack.api, ...(stack.workers ?? [])]);
    } finally {
      await stack.target?.close();
      await stack.environment?.cleanup();
    }
  });
  return stack;
}

/**
 * A scenario's start: a new user with a one-off task due `seconds` from now, calling a path of its own on the stack's
 * target (`<route>/<uuid>`), so the scenario counts only its own hits.
 */
export async function oneOffTaskIn(stack: RunningStack, seconds: number, route = '/ok') {
  const client = await PunctualClient.register(stack.api.url);
  const path = `${route}/${randomUUID()}`;
  const due = secondsFromNow(seconds);
  const task = await client.createTask({ url: `${stack.target.url}${path}`, scheduledAt: due.toISOString() });
  return { client, path, due, task };
}
