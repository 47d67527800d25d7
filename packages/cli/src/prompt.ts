import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import type { CliIo } from './cli-io.js';
import { CliError, EXIT_INTERRUPTED, UsageError } from './cli-errors.js';

/** Prompts need a person at a terminal; a script passes flags instead. */
export function isInteractive(io: CliIo): boolean {
  return io.stdin.isTTY === true;
}

/**
 * Asks a question on stderr and reads the answer from a terminal. `hidden` echoes nothing (passwords): readline writes
 * through a stream that drops everything once the question is out.
 */
export async function ask(io: CliIo, question: string, { hidden = false, flag }: { hidden?: boolean; flag: string }): Promise<string> {
  if (!isInteractive(io)) throw new UsageError(`stdin is not a terminal, so there is no one to ask: pass ${flag}`);
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      if (!muted) io.stderr.write(chunk.toString());
      callback();
    },
  });
  const readline = createInterface({ input: io.stdin, output, terminal: true });
  try {
    const answer = new Promise<string>((resolve, reject) => {
      // Ctrl-D (end of input) at the question is a cancel too, not a crash.
      readline.question(question).then(resolve, (error: unknown) => {
        const ended = (error as { code?: unknown } | null)?.code === 'ABORT_ERR';
        reject(ended ? new CliError('cancelled', EXIT_INTERRUPTED) : error instanceof Error ? error : new Error(String(error)));
      });
      // Ctrl-C in raw mode reaches readline, not the process: without this the question would wait for ever.
      readline.once('SIGINT', () => reject(new CliError('cancelled', EXIT_INTERRUPTED)));
    });
    muted = hidden;
    // A password is taken as typed: spaces at either end may be part of it.
    return hidden ? await answer : (await answer).trim();
  } finally {
    readline.close();
    if (hidden) io.stderr.write('\n');
  }
}

/** A yes/no question on a terminal; anything but y or yes is no. */
export async function confirm(io: CliIo, question: string, flag: string): Promise<boolean> {
  const answer = await ask(io, `${question} [y/N] `, { flag });
  return /^y(es)?$/i.test(answer);
}

/** All of stdin as text (`--password-stdin`, `--from-file -`). */
export async function readStdin(io: CliIo): Promise<string> {
  let text = '';
  for await (const chunk of io.stdin) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text;
}
