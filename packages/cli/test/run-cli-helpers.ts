import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { onTestFinished } from 'vitest';
import { runCli, type CliIo } from '../src/index.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in-process with captured output. `stdin` is text (a script's pipe) or a `PassThrough` marked as a
 * terminal, whose lines a test writes as a person would type them.
 */
export async function cli(
  args: string[],
  options: { env?: Record<string, string | undefined>; stdin?: string | PassThrough; now?: Date } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdin: typeof options.stdin === 'object' ? options.stdin : Readable.from([options.stdin ?? '']),
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env: options.env ?? {},
    ...(options.now === undefined ? {} : { now: () => options.now! }),
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/**
 * A stdin that says it is a terminal, typing one line every 50 ms (each prompt reads its own: a readline interface
 * would take a later answer with the chunk it reads).
 */
export function terminal(...lines: string[]): PassThrough & { isTTY: boolean } {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  lines.forEach((line, index) => setTimeout(() => stdin.write(`${line}\r`), 50 * (index + 1)));
  return stdin;
}

/** A temporary XDG_CONFIG_HOME, removed after the test. */
export async function configHome(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'punctual-cli-test-'));
  onTestFinished(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

/** A loopback URL where nothing listens (a port that was just free), so a request fails fast with ECONNREFUSED. */
export async function closedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
