import type { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import { resolveSettings, type GlobalOptions, type Settings } from './connection.js';
import { terminalSafe } from './terminal-text.js';

/** What every command's action gets: the streams, the clock, the settings and the two ways of answering. */
export class CommandContext {
  /** Set by a command that did part of its work (some ids failed): the run ends with it. */
  exitCode = 0;

  constructor(readonly io: CliIo) {}

  now(): Date {
    return this.io.now?.() ?? new Date();
  }

  /** Human output (tables, confirmations) on stdout. */
  print(text: string): void {
    const safe = terminalSafe(text);
    this.io.stdout.write(safe.endsWith('\n') ? safe : `${safe}\n`);
  }

  /** `--json`: the API's answer exactly, pretty-printed. */
  printJson(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Notes and warnings, on stderr, so they never mix into piped output. */
  note(text: string): void {
    this.io.stderr.write(`${terminalSafe(text)}\n`);
  }

  /** One failure of a command that goes on with the rest (several ids): reported now, exit code 1 at the end. */
  fail(text: string): void {
    this.io.stderr.write(`error: ${terminalSafe(text)}\n`);
    this.exitCode = 1;
  }

  /**
   * The command's options with the global ones: a command's own `--json` or `--api-key` wins over the one before it.
   * `tasks create --url` is the task's URL, so there the API's is the one given before the command.
   */
  options<Options>(command: Command): Options & GlobalOptions {
    const globals = rootOf(command).opts<GlobalOptions>();
    const own = command.opts<Options & GlobalOptions>();
    const url = ownsUrl(command) ? own.url : undefined;
    return { ...own, url: url ?? globals.url, apiKey: own.apiKey ?? globals.apiKey, json: own.json ?? globals.json };
  }

  settings(command: Command): Promise<Settings> {
    return resolveSettings(this.io, this.options(command));
  }
}

function rootOf(command: Command): Command {
  return command.parent === null ? command : rootOf(command.parent);
}

/** Whether the command's `--url` is the API's (every command but `tasks create`, whose `--url` is what it calls). */
function ownsUrl(command: Command): boolean {
  return !(command.name() === 'create' && command.parent?.name() === 'tasks');
}

/** `--json` of a command given ids: one id, the answer as it is; several, an array of the answers that succeeded. */
export function printJsonResults(context: CommandContext, ids: string[], results: unknown[]): void {
  if (ids.length === 1) {
    if (results.length === 1) context.printJson(results[0]);
  } else context.printJson(results);
}
