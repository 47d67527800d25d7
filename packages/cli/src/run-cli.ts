import { CommanderError } from 'commander';
import { CliError, EXIT_USAGE } from './cli-errors.js';
import type { CliIo } from './cli-io.js';
import { CommandContext } from './command-context.js';
import { createProgram } from './program.js';
import { terminalSafe } from './terminal-text.js';

/**
 * Runs `punctual` with `argv` (the arguments after the program name) and resolves with its exit code: 0 done, 1 the
 * work failed (the API's message on stderr), 2 the command line was wrong. It never calls process.exit and never
 * prints a stack trace for an expected failure, so a program (or a test) can call it in-process.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const context = new CommandContext(io);
  const program = createProgram(context);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return context.exitCode;
  } catch (error) {
    // Commander has already printed its message (unknown option, missing argument, help, version).
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    if (error instanceof CliError) {
      io.stderr.write(`error: ${terminalSafe(error.message)}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
