import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '@punctual/process';
import { expect } from 'vitest';
import { freePort } from './free-port.js';

/** A real Punctual process (API, worker, migrations) started by a test. */
export interface PunctualProcess {
  name: string;
  pid: number;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves once the output matches; rejects with the output when it exits first or after `timeoutMs` (default 10000). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /**
   * Sends `signal` (default SIGTERM) and resolves with the exit code (null when a signal ended it). After `timeoutMs`
   * (default 15000) it is killed and the promise rejects with its output: a process that ignores SIGTERM is a bug.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** SIGKILL, as a crash or an OOM kill would; resolves once it is gone. */
  kill(): Promise<void>;
  /** Settles when the process has exited and its output is complete. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  /** Shown in errors; defaults to "api" / "worker". */
  name?: string;
  /** How long start-up may take before the process is killed and the start rejects (default 45000). */
  readyTimeoutMs?: number;
}

/** A process that exited (or was killed for taking too long) before it was ready; carries its exit and output. */
export class ProcessNotReadyError extends Error {
  constructor(
    readonly processName: string,
    readonly exit: { code: number | null; signal: NodeJS.Signals | null },
    readonly output: string,
    /** Set when it was killed for not being ready in time. */
    readonly timeoutMs: number | null,
  ) {
    const how =
      timeoutMs !== null
        ? `was not ready within ${timeoutMs} ms`
        : exit.signal
          ? `was killed by ${exit.signal} before it was ready`
          : `exited with code ${String(exit.code)} before it was ready`;
    super(`${processName} ${how}. Output:\n${output}`);
    this.name = 'ProcessNotReadyError';
  }
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The compiled entry points, as production runs them (the global setup builds the workspace first). */
const ENTRIES = {
  api: 'apps/api/dist/server.js',
  worker: 'apps/worker/dist/main.js',
  migrate: 'apps/api/dist/migrate.js',
  secretsRotate: 'apps/api/dist/secrets-rotate.js',
} as const;

/** The API needs one (workers ignore it); tests that sign their own tokens can use it. */
export const TEST_JWT_SECRET = 'punctual-e2e-jwt-secret-0123456789abcdef';

const READY_TIMEOUT_MS = 45_000;
const OUTPUT_LIMIT_CHARS = 4 * 1024 * 1024;

/**
 * Runs in the child before its entry point: when the test process goes away without stopping it (a crash, a SIGKILL,
 * an interrupted run), the IPC channel closes and the child kills itself, so no server outlives the tests.
 * The channel is unref'd so it never keeps a process alive that is otherwise done.
 */
const ORPHAN_GUARD =
  'data:text/javascript,' +
  encodeURIComponent(
    "if (process.channel) { process.channel.unref(); process.once('disconnect', () => process.kill(process.pid, 'SIGKILL')); }",
  );

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Starts the API (`apps/api/dist/server.js`) on a free port of 127.0.0.1 unless `env.PORT` says otherwise.
 * Ready once `GET /health/live` answers 200.
 */
export async function startApi(env: Record<string, string>, options: StartOptions = {}): Promise<PunctualProcess & { url: string }> {
  const port = env.PORT ?? String(await freePort());
  const host = env.HOST ?? '127.0.0.1';
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const api = spawnPunctual(options.name ?? 'api', ENTRIES.api, { ...env, HOST: host, PORT: port });
  await whenReady(api, options.readyTimeoutMs ?? READY_TIMEOUT_MS, (stopped) => pollUntilLive(`${url}/health/live`, stopped));
  return { ...api, url };
}

/**
 * Starts a worker (`apps/worker/dist/main.js`), its health server on a free port unless `env.WORKER_HTTP_PORT` is set.
 * Ready once it logs "worker started".
 */
export async function startWorker(
  env: Record<string, string>,
  options: StartOptions = {},
): Promise<PunctualProcess & { healthUrl: string }> {
  const worker = spawnPunctual(options.name ?? 'worker', ENTRIES.worker, { WORKER_HTTP_PORT: '0', ...env });
  const started = /^\{.*"msg":"worker started".*\}$/m;
  await whenReady(worker, options.readyTimeoutMs ?? READY_TIMEOUT_MS, () => worker.waitForOutput(started, Number.POSITIVE_INFINITY));
  const line = JSON.parse(started.exec(worker.output())![0]) as { port: number };
  return { ...worker, healthUrl: `http://127.0.0.1:${line.port}` };
}

/** Runs `pnpm migrate`'s entry point to completion (killed after `timeoutMs`, default 60000). */
export async function runMigrate(env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  return runToCompletion('migrate', ENTRIES.migrate, env, timeoutMs);
}

/** Runs `pnpm secrets:rotate`'s entry point to completion (killed after `timeoutMs`, default 60000). */
export async function runSecretsRotate(env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  return runToCompletion('secrets-rotate', ENTRIES.secretsRotate, env, timeoutMs);
}

async function runToCompletion(
  name: string,
  entry: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  const child = spawnPunctual(name, entry, env);
  const timer = setTimeout(() => void child.kill(), timeoutMs);
  try {
    const { code } = await child.exited;
    return { code, output: child.output() };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Spawns `node <entry>` from the repo root: plain Node on the compiled output, as in production. Node runs the entry
 * itself (no runner in between), so `pid` is the process that handles signals, its exit code is the entry's own, and a
 * SIGKILL leaves nothing behind.
 */
function spawnPunctual(name: string, entry: string, env: Record<string, string>): PunctualProcess {
  installExitHook();
  const child = spawn(process.execPath, [...NODE_FLAGS, '--import', ORPHAN_GUARD, entry], {
    cwd: ROOT,
    env: processEnv(env),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  live.add(child);

  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: string): void => {
    output += chunk;
    // Trimmed only once it is twice the limit: trimming at the limit copied megabytes per chunk, which a bench
    // reading a busy process's request log paid for in the same process as its load generator.
    if (output.length > 2 * OUTPUT_LIMIT_CHARS) output = output.slice(-OUTPUT_LIMIT_CHARS);
    for (const listener of listeners) listener();
  };
  // Decoded by the streams, so a character split across two chunks stays whole.
  child.stdout!.setEncoding('utf8').on('data', append);
  child.stderr!.setEncoding('utf8').on('data', append);

  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close' rather than 'exit': by then stdout and stderr are drained, so output() is complete.
    child.once('close', (code, signal) => {
      live.delete(child);
      exit = { code, signal };
      for (const listener of listeners) listener();
      resolve(exit);
    });
    child.once('error', (error) => {
      append(`\n[${name}] could not be started: ${error.message}\n`);
      if (child.pid === undefined) {
        live.delete(child);
        exit = { code: null, signal: null };
        resolve(exit);
      }
    });
  });

  const describeExit = (): string => (exit?.signal ? `was killed by ${exit.signal}` : `exited with code ${String(exit?.code)}`);

  const waitForOutput = (pattern: RegExp, timeoutMs = 10_000): Promise<void> =>
    new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (error?: Error): void => {
        listeners.delete(check);
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      const check = (): void => {
        if (pattern.test(output)) finish();
        else if (exit) finish(new Error(`${name} ${describeExit()} before its output matched ${pattern}. Output:\n${output}`));
      };
      listeners.add(check);
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(
          () => finish(new Error(`${name}: output did not match ${pattern} within ${timeoutMs} ms. Output:\n${output}`)),
          timeoutMs,
        );
      }
      check();
    });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> => {
    if (exit) return exit.code;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`${name} did not exit within ${timeoutMs} ms of ${signal}, so it was killed. Output:\n${output}`);
    }
    return result.code;
  };

  const kill = async (): Promise<void> => {
    if (!exit) child.kill('SIGKILL');
    await exited;
  };

  const recentOutput = (): string => (output.length > OUTPUT_LIMIT_CHARS ? output.slice(-OUTPUT_LIMIT_CHARS) : output);
  return { name, pid: child.pid ?? -1, output: recentOutput, waitForOutput, stop, kill, exited };
}

/**
 * Resolves when `ready` does. Rejects with a ProcessNotReadyError when the process exits first or `timeoutMs` passes
 * (killing it then, so a half-started process never lingers). `ready` only has to notice readiness: whatever it
 * rejects with, the outcome is decided by the exit or the timeout.
 */
async function whenReady(child: PunctualProcess, timeoutMs: number, ready: (stopped: () => boolean) => Promise<unknown>): Promise<void> {
  let settled = false;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const failure = new Promise<never>((_, reject) => {
    void child.exited.then(({ code, signal }) =>
      reject(new ProcessNotReadyError(child.name, { code, signal }, child.output(), timedOut ? timeoutMs : null)),
    );
    timer = setTimeout(() => {
      timedOut = true;
      void child.kill();
    }, timeoutMs);
  });
  const readiness = ready(() => settled).catch(() => failure);
  try {
    await Promise.race([readiness, failure]);
  } finally {
    settled = true;
    clearTimeout(timer);
    failure.catch(() => {});
  }
}

async function pollUntilLive(url: string, stopped: () => boolean): Promise<void> {
  while (!stopped()) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The test process's environment without vitest's own variables, under Punctual's test settings and `env`. */
function processEnv(env: Record<string, string>): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^_*VITEST/.test(key)) inherited[key] = value;
  }
  return { ...inherited, NODE_ENV: 'test', LOG_LEVEL: 'info', JWT_SECRET: TEST_JWT_SECRET, HOST: '127.0.0.1', ...env };
}

/** Safety net for a test file that forgets to stop its processes: they die with the test process. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Starts a process that must not get ready (`start` is startApi or startWorker with its environment), and returns why
 * it did not; one that did start is killed and fails the test.
 */
export async function startFailure(start: () => Promise<PunctualProcess>): Promise<ProcessNotReadyError> {
  const error: unknown = await start().then(
    (started) => started.kill().then(() => new Error('it started')),
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(ProcessNotReadyError);
  return error as ProcessNotReadyError;
}

/** `child.stop(signal, timeoutMs)`, timed: the exit code, and how long it took to exit. */
export async function timedStop(
  child: PunctualProcess,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<{ code: number | null; elapsedMs: number }> {
  const started = performance.now();
  const code = await child.stop(signal, timeoutMs);
  return { code, elapsedMs: performance.now() - started };
}
