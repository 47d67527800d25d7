import { hostname } from 'node:os';
import { Command } from 'commander';
import { CliError } from '../cli-errors.js';
import { type CommandContext } from '../command-context.js';
import { keyClient, request } from '../connection.js';
import { signIn, withSignIn, type SignInOptions } from '../sign-in.js';
import { removeConfigFile, writeConfigFile } from '../config-file.js';
import { isInteractive } from '../prompt.js';

export function loginCommand(context: CommandContext): Command {
  return withSignIn(
    new Command('login')
      .description('sign in, create an API key for this machine and save it (with the URL) in the config file')
      .option('--key-name <name>', 'the name of the API key created', `cli on ${hostname()}`),
  ).action(async (_options: unknown, command: Command) => {
    const options = context.options<SignInOptions & { keyName: string }>(command);
    const settings = await context.settings(command);
    // Always a password here, never the credential in effect: login is how a person proves who they are.
    const session = await signIn(context.io, { ...settings, apiKey: undefined, saved: undefined }, options);
    const created = await request(
      settings,
      session.client.POST('/api/v1/auth/api-keys', { body: { name: options.keyName, scope: 'full' } }),
    );
    // The key of an earlier login on this server is replaced, not left behind valid (another account's: a 404, ignored).
    const previous = settings.saved?.url === settings.url ? settings.saved.apiKeyId : undefined;
    if (previous !== undefined && previous !== created.id) {
      await session.client.DELETE('/api/v1/auth/api-keys/{id}', { params: { path: { id: previous } } }).catch(() => undefined);
    }
    await writeConfigFile(settings.configPath, { url: settings.url, apiKey: created.key, apiKeyId: created.id, email: session.user.email });
    // The file holds one server; the key saved for another stays valid there, so say which it is.
    if (settings.saved !== undefined && settings.saved.url !== settings.url) {
      context.note(
        `Note: the key saved for ${settings.saved.url} (id ${settings.saved.apiKeyId ?? 'unknown'}) was replaced in the file and is still valid there; revoke it there if it is no longer needed.`,
      );
    }

    if (context.io.env.PUNCTUAL_API_KEY) context.note('Note: PUNCTUAL_API_KEY is set, and it wins over the saved key.');
    if (options.json) {
      const { key: _key, ...apiKey } = created;
      return context.printJson({ url: settings.url, user: session.user, apiKey, configPath: settings.configPath });
    }
    context.print(
      `Logged in to ${settings.url} as ${session.user.email}.\n` +
        `API key "${created.name}" (pk_${created.prefix}…) saved in ${settings.configPath}.`,
    );
  });
}

export function logoutCommand(context: CommandContext): Command {
  return new Command('logout')
    .description('revoke the saved API key (asks for your password) and remove the config file')
    .option('--password-stdin', 'read the password from stdin instead of asking for it')
    .option('--keep-key', 'remove the file but leave the API key valid')
    .action(async (_options: unknown, command: Command) => {
      const options = context.options<{ passwordStdin?: boolean; keepKey?: boolean }>(command);
      const settings = await context.settings(command);
      const { saved } = settings;
      if (saved === undefined) return context.print(`Not logged in: there is no ${settings.configPath}.`);

      const canSignIn = options.passwordStdin === true || isInteractive(context.io);
      let revoked = false;
      if (saved.apiKeyId !== undefined && !options.keepKey && canSignIn) {
        // No API key may delete one, itself included: revoking takes a session.
        if (!options.passwordStdin) context.note('Revoking the saved API key takes your password (--keep-key to leave it valid).');
        const savedSettings = { ...settings, url: saved.url, apiKey: undefined };
        const session = await signIn(context.io, savedSettings, { passwordStdin: options.passwordStdin }).catch((error: unknown) => {
          if (error instanceof CliError) error.message += ' (pass --keep-key to log out without revoking the key)';
          throw error;
        });
        const path = { id: saved.apiKeyId };
        await request(savedSettings, session.client.DELETE('/api/v1/auth/api-keys/{id}', { params: { path } })).catch((error: unknown) => {
          // Revoked already (`keys revoke`, the dashboard): what logout wanted.
          if (!(error instanceof CliError && error.statusCode === 404)) throw error;
        });
        revoked = true;
      }
      await removeConfigFile(settings.configPath);

      if (options.json)
        return context.printJson({ url: saved.url, configPath: settings.configPath, revokedKeyId: revoked ? saved.apiKeyId : null });
      context.print(`Logged out of ${saved.url}: removed ${settings.configPath}${revoked ? ' and revoked its API key' : ''}.`);
      if (!revoked && saved.apiKeyId !== undefined) {
        context.note(
          `The API key ${saved.apiKeyId} stays valid until revoked: \`punctual keys revoke ${saved.apiKeyId}\` or the dashboard.`,
        );
      }
    });
}

export function whoamiCommand(context: CommandContext): Command {
  return new Command('whoami').description('show the account the API key acts as').action(async (_options: unknown, command: Command) => {
    const { json } = context.options(command);
    const settings = await context.settings(command);
    const user = await request(settings, keyClient(settings).GET('/api/v1/auth/me'));
    if (json) context.printJson(user);
    else context.print(`${user.email} (${user.role}) on ${settings.url}`);
  });
}
