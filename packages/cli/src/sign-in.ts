import type { Command } from 'commander';
import type { PunctualClient, Session } from '@punctual/client';
import type { CliIo } from './cli-io.js';
import { UsageError } from './cli-errors.js';
import { createClient, normalizeUrl, request, type Settings } from './connection.js';
import { ask, readStdin } from './prompt.js';

export interface SignInOptions {
  email?: string;
  passwordStdin?: boolean;
}

/**
 * A session (JWT), for what no API key may do (API keys themselves): the credential in effect when it is one already,
 * else a sign-in with the email (flag, saved file, or asked) and the password (stdin or asked, never a flag: it would
 * sit in the shell's history and the process list).
 */
export async function signIn(io: CliIo, settings: Settings, options: SignInOptions): Promise<Session & { client: PunctualClient }> {
  if (settings.apiKey && !settings.apiKey.startsWith('pk_') && options.email === undefined) {
    const client = createClient(settings.url, settings.apiKey);
    const user = await request(settings, client.GET('/api/v1/auth/me'));
    return { user, token: settings.apiKey, client };
  }
  const savedEmail = settings.saved && normalizeUrl(settings.saved.url) === settings.url ? settings.saved.email : undefined;
  const email = options.email ?? savedEmail ?? (await ask(io, 'Email: ', { flag: '--email' }));
  if (!email) throw new UsageError('an email is needed to sign in');
  const password = options.passwordStdin
    ? (await readStdin(io)).replace(/\r?\n$/, '')
    : await ask(io, `Password for ${email}: `, { hidden: true, flag: '--password-stdin' });
  if (!password) throw new UsageError('an empty password: nothing to sign in with');
  const session = await request(settings, createClient(settings.url).POST('/api/v1/auth/login', { body: { email, password } }), {
    signIn: true,
  });
  return { ...session, client: createClient(settings.url, session.token) };
}

/** The options of a command that signs in with a password. */
export function withSignIn(command: Command): Command {
  return command
    .option('--email <email>', 'the account to sign in as (default: the one saved at login; asked on a terminal)')
    .option('--password-stdin', 'read the password from stdin instead of asking for it');
}
