import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from './cli-errors.js';

/** What `punctual login` saves: where the API is and the API key it created for this machine. */
export interface SavedConfig {
  url: string;
  apiKey: string;
  /** The key's id, so `logout` (or the next `login`) can revoke it. */
  apiKeyId?: string;
  /** The account signed in, so commands that need a session (`keys`) only ask for the password. */
  email?: string;
}

/** `$XDG_CONFIG_HOME/punctual/config.json`, or `~/.config/punctual/config.json` when XDG_CONFIG_HOME is unset. */
export function configFilePath(env: Readonly<Record<string, string | undefined>>): string {
  const base = env.XDG_CONFIG_HOME || (env.HOME ? join(env.HOME, '.config') : undefined);
  if (!base) throw new CliError('cannot find a configuration directory: set XDG_CONFIG_HOME or HOME');
  return join(base, 'punctual', 'config.json');
}

/** The saved configuration, or undefined when there is none. A file that is not ours to read is an error, not "none". */
export async function readConfigFile(path: string): Promise<SavedConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON: run \`punctual login\` again or delete it`);
  }
  if (!isSavedConfig(parsed)) throw new CliError(`${path} has no "url" and "apiKey": run \`punctual login\` again or delete it`);
  return parsed;
}

/**
 * Writes the file readable by its owner only (0600; its directory 0700): it holds a credential. A new file is written
 * beside it with mode 0600 and renamed over it, so the key is never in a file with an older, wider mode, and a reader
 * never sees half a file.
 */
export async function writeConfigFile(path: string, config: SavedConfig): Promise<void> {
  const directory = join(path, '..');
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(temporary, 0o600); // the umask may have narrowed it, never widened; this says so for certain
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Removes the file; true when there was one. */
export async function removeConfigFile(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function isSavedConfig(value: unknown): value is SavedConfig {
  if (typeof value !== 'object' || value === null) return false;
  const { url, apiKey } = value as Record<string, unknown>;
  return typeof url === 'string' && typeof apiKey === 'string';
}
