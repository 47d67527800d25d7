import { Command, Option } from 'commander';
import { CliError } from '../cli-errors.js';
import { type CommandContext, printJsonResults } from '../command-context.js';
import { request } from '../connection.js';
import { signIn, withSignIn, type SignInOptions } from '../sign-in.js';
import { renderKeys } from '../tables.js';

/**
 * API keys. The API lets no API key manage keys (a leaked key must not mint more), so these commands act with a
 * session: they sign in with the email saved at login (or --email) and a password asked for or read from stdin.
 */
export function keysCommand(context: CommandContext): Command {
  const keys = new Command('keys').description('list, create and revoke API keys (signs in with your password)');

  withSignIn(keys.command('list').alias('ls').description('list your API keys (never the keys themselves)')).action(
    async (_options: unknown, command: Command) => {
      const options = context.options<SignInOptions>(command);
      const settings = await context.settings(command);
      const { client } = await signIn(context.io, settings, options);
      const answer = await request(settings, client.GET('/api/v1/auth/api-keys'));
      if (options.json) context.printJson(answer);
      else context.print(renderKeys(answer.data, context.now()));
    },
  );

  withSignIn(
    keys
      .command('create')
      .description('create an API key: it is shown this once, on stdout')
      .argument('<name>', 'what the key is for, e.g. "deploy pipeline"')
      .addOption(
        new Option('--scope <scope>', 'read: GET routes only; full: whatever you may do')
          .choices(['full', 'read'] as const)
          .default('full'),
      )
      .option('--expires-at <time>', 'when the key stops working, ISO 8601 (default never)'),
  ).action(async (name: string, _options: unknown, command: Command) => {
    const options = context.options<SignInOptions & { scope: 'full' | 'read'; expiresAt?: string }>(command);
    const settings = await context.settings(command);
    const { client } = await signIn(context.io, settings, options);
    const body = { name, scope: options.scope, ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }) };
    const created = await request(settings, client.POST('/api/v1/auth/api-keys', { body }));
    if (options.json) return context.printJson(created);
    // The key alone on stdout (`KEY=$(punctual keys create ci)`), the rest on stderr.
    context.note(`Created API key "${created.name}" (${created.scope}, id ${created.id}). It is not shown again: store it now.`);
    context.print(created.key);
  });

  withSignIn(
    keys.command('revoke').description('delete API keys: each answers 401 from the next request on').argument('<ids...>', 'key ids'),
  ).action(async (ids: string[], _options: unknown, command: Command) => {
    const options = context.options<SignInOptions>(command);
    const settings = await context.settings(command);
    const { client } = await signIn(context.io, settings, options);
    const revoked: string[] = [];
    for (const id of ids) {
      try {
        await request(settings, client.DELETE('/api/v1/auth/api-keys/{id}', { params: { path: { id } } }));
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        context.fail(ids.length > 1 ? `${id}: ${error.message}` : error.message);
        continue;
      }
      revoked.push(id);
      if (!options.json) context.print(`revoked: ${id}`);
      if (id === settings.saved?.apiKeyId)
        context.note('That was the key this machine is logged in with: run `punctual login` for a new one.');
    }
    if (options.json)
      printJsonResults(
        context,
        ids,
        revoked.map((id) => ({ id, revoked: true })),
      );
  });

  return keys;
}
