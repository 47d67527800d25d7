import { Command } from 'commander';
import type { CommandContext } from './command-context.js';
import { CLI_VERSION, DEFAULT_URL } from './connection.js';
import { loginCommand, logoutCommand, whoamiCommand } from './commands/auth.js';
import { keysCommand } from './commands/keys.js';
import { tasksCommand } from './commands/tasks.js';

const URL_HELP = `the API (default: PUNCTUAL_URL, the saved login, or ${DEFAULT_URL})`;
const API_KEY_HELP = 'the API key (default: PUNCTUAL_API_KEY, or the key saved by login)';
const JSON_HELP = "print the API's JSON answer instead of a table";

/**
 * The `punctual` command tree. Output and exits go through commander's hooks to the context's streams, so a test can
 * run it in-process.
 *
 * `--url`, `--api-key` and `--json` are accepted before the command (`punctual --json tasks list`) and on each command
 * (`punctual tasks list --json`), except that `tasks create --url` is the task's URL: there the API's goes before
 * `tasks`. Options are positional for that reason: an option belongs to the command it follows.
 */
export function createProgram(context: CommandContext): Command {
  const program = new Command('punctual')
    .description('Punctual from a terminal: tasks, their attempts and API keys')
    .version(CLI_VERSION, '-V, --version')
    .option('--url <url>', URL_HELP)
    .option('--api-key <key>', API_KEY_HELP)
    .option('--json', JSON_HELP)
    .enablePositionalOptions()
    .addHelpText(
      'after',
      '\nEnvironment: PUNCTUAL_URL, PUNCTUAL_API_KEY (win over the file), XDG_CONFIG_HOME (where punctual/config.json is).\n' +
        'Exit codes: 0 done, 1 failed (an API error, an unreachable server, no credentials), 2 wrong usage.',
    );

  program.addCommand(loginCommand(context));
  program.addCommand(logoutCommand(context));
  program.addCommand(whoamiCommand(context));
  program.addCommand(tasksCommand(context));
  program.addCommand(keysCommand(context));
  configure(program, context);
  return program;
}

/** Commander copies these settings only to subcommands made with `.command()`, so they are set on the whole tree here. */
function configure(command: Command, context: CommandContext): void {
  command
    .exitOverride()
    .configureOutput({ writeOut: (text) => context.io.stdout.write(text), writeErr: (text) => context.io.stderr.write(text) })
    .showHelpAfterError('(add --help for usage)');
  const isLeaf = command.commands.length === 0;
  if (isLeaf && command.parent !== null) {
    const has = (flag: string): boolean => command.options.some((option) => option.long === flag);
    if (!has('--url')) command.option('--url <url>', URL_HELP);
    command.option('--api-key <key>', API_KEY_HELP).option('--json', JSON_HELP);
  }
  for (const subcommand of command.commands) configure(subcommand, context);
}
