import { readFileSync } from 'node:fs';
import { createPunctualClient, PunctualApiError, unwrap, type PunctualClient } from '@punctual/client';
import type { CliIo } from './cli-io.js';
import { CliError, EXIT_FAILURE, UsageError } from './cli-errors.js';
import { configFilePath, readConfigFile, type SavedConfig } from './config-file.js';

export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** The package's version (read from its package.json, beside src/ and dist/): `--version`, and the User-Agent. */
export const CLI_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The options every command accepts. */
export interface GlobalOptions {
  url?: string;
  apiKey?: string;
  json?: boolean;
}

/** Where the API is and the credential to send, with where each came from. */
export interface Settings {
  url: string;
  apiKey: string | undefined;
  configPath: string;
  /** The saved file, when there is one (whichever server it names). */
  saved: SavedConfig | undefined;
}

/**
 * Flags win over the environment, which wins over the saved file. The saved key is sent only to the server it was
 * created on: pointing `--url` or PUNCTUAL_URL elsewhere never hands that server another server's key.
 */
export async function resolveSettings(io: CliIo, options: GlobalOptions): Promise<Settings> {
  const configPath = configFilePath(io.env);
  const saved = await readConfigFile(configPath);
  const url = normalizeUrl(options.url || io.env.PUNCTUAL_URL || saved?.url || DEFAULT_URL);
  const savedKey = saved && normalizeUrl(saved.url) === url ? saved.apiKey : undefined;
  return { url, apiKey: options.apiKey || io.env.PUNCTUAL_API_KEY || savedKey, configPath, saved };
}

/** A client for the commands that act with the API key; a clear message when there is none. */
export function keyClient(settings: Settings): PunctualClient {
  if (!settings.apiKey) {
    const elsewhere =
      settings.saved && normalizeUrl(settings.saved.url) !== settings.url ? ` (the saved key is for ${settings.saved.url})` : '';
    throw new CliError(`no API key for ${settings.url}${elsewhere}: run \`punctual login\`, or set PUNCTUAL_API_KEY or pass --api-key`);
  }
  return createClient(settings.url, settings.apiKey);
}

export function createClient(url: string, token?: string): PunctualClient {
  return createPunctualClient({ baseUrl: url, token, headers: { 'user-agent': `punctual-cli/${CLI_VERSION}` } });
}

/**
 * The answer's data, or a `CliError` carrying the API's own message (which names the field at fault), or saying the
 * server could not be reached. `signIn` marks calls made with a password, where a 401 means a wrong password.
 */
export async function request<Data>(
  settings: Pick<Settings, 'url'>,
  call: Promise<{ data?: Data; error?: unknown; response: Response }>,
  { signIn = false }: { signIn?: boolean } = {},
): Promise<Data> {
  try {
    return await unwrap(call);
  } catch (error) {
    if (error instanceof PunctualApiError) {
      const hint = error.statusCode === 401 && !signIn ? ': run `punctual login`, or check PUNCTUAL_API_KEY' : '';
      throw new CliError(`${error.message}${hint}`, EXIT_FAILURE, error.statusCode);
    }
    // fetch's own failure (refused, DNS, TLS, a bad port): a TypeError whose cause says what happened.
    if (error instanceof TypeError && error.message === 'fetch failed') {
      const cause = error.cause instanceof Error ? error.cause.message : 'the request failed';
      throw new CliError(`cannot reach ${settings.url}: ${cause}`);
    }
    throw error;
  }
}

/** `http://host:3000/` and `http://host:3000` are one server; a trailing path segment is kept. */
export function normalizeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`not a URL: ${url} (expected e.g. ${DEFAULT_URL})`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`not an http(s) URL: ${url}`);
  return parsed.href.replace(/\/+$/, '');
}
