import { readFile } from 'node:fs/promises';
import type { CreateTaskBody } from '@punctual/client';
import type { CliIo } from './cli-io.js';
import { UsageError } from './cli-errors.js';
import { readStdin } from './prompt.js';

/** The flags of `tasks create`, as commander parses them. */
export interface CreateTaskFlags {
  fromFile?: string;
  name?: string;
  description?: string;
  url?: string;
  method?: string;
  cron?: string;
  timezone?: string;
  at?: string;
  header?: string[];
  body?: string;
  tag?: string[];
  maxRetries?: number;
  timeoutMs?: number;
}

/**
 * The create body: `--from-file` (any field of the API's body) with the flags laid over it. Values are passed on as
 * given: the API validates them and its 400 names the field, so the CLI does not keep a second copy of the rules.
 */
export async function buildCreateBody(io: CliIo, flags: CreateTaskFlags): Promise<CreateTaskBody> {
  const base = flags.fromFile === undefined ? {} : await readTaskFile(io, flags.fromFile);
  const fields: Record<string, unknown> = {
    name: flags.name,
    description: flags.description,
    url: flags.url,
    method: flags.method?.toUpperCase(),
    cron: flags.cron,
    timezone: flags.timezone,
    scheduledAt: flags.at,
    headers: flags.header === undefined ? undefined : { ...asRecord(base.headers), ...parseHeaders(flags.header) },
    body: flags.body === undefined ? undefined : await parseBody(flags.body),
    tags: flags.tag,
    maxRetries: flags.maxRetries,
    timeoutMs: flags.timeoutMs,
  };
  const body = { ...base, ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) };
  if (body.name === undefined) throw new UsageError('a task needs a name: pass --name (or "name" in --from-file)');
  if (body.url === undefined) throw new UsageError('a task needs a URL to call: pass --url (or "url" in --from-file)');
  return body as CreateTaskBody;
}

/** `--header 'Name: value'`, repeatable; the first colon splits name from value. */
export function parseHeaders(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header must be 'Name: value', got '${line}'`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** `--body` is JSON, inline or `@path` to a file. A JSON string (`'"text"'`) is sent as text, as the API does. */
async function parseBody(value: string): Promise<unknown> {
  const text = value.startsWith('@') ? await readText(value.slice(1), '--body') : value;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--body is not JSON (${(error as Error).message}); to send text, pass it as a JSON string: --body '"text"'`);
  }
}

async function readTaskFile(io: CliIo, path: string): Promise<Record<string, unknown>> {
  const text = path === '-' ? await readStdin(io) : await readText(path, '--from-file');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--from-file ${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`--from-file ${path} must hold a JSON object (the fields of a task)`);
  }
  return parsed as Record<string, unknown>;
}

async function readText(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(error as Error).message}`);
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
