import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildCreateBody, parseHeaders, UsageError, type CliIo } from '../src/index.js';
import { configHome } from './run-cli-helpers.js';

const io = (stdin = ''): CliIo => ({ stdin: Readable.from([stdin]), stdout: process.stdout, stderr: process.stderr, env: {} });

describe('tasks create body', () => {
  it('maps each flag to its field of the API body, leaving out what was not given', async () => {
    const body = await buildCreateBody(io(), {
      name: 'nightly',
      url: 'https://example.com/hook',
      method: 'post',
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
      header: ['X-Source: cli', 'Authorization: Bearer a:b'],
      body: '{"n": 1}',
      tag: ['billing', 'daily'],
      maxRetries: 2,
      timeoutMs: 5000,
    });
    expect(body).toEqual({
      name: 'nightly',
      url: 'https://example.com/hook',
      method: 'POST',
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
      headers: { 'X-Source': 'cli', Authorization: 'Bearer a:b' },
      body: { n: 1 },
      tags: ['billing', 'daily'],
      maxRetries: 2,
      timeoutMs: 5000,
    });
    expect(await buildCreateBody(io(), { name: 'once', url: 'https://example.com', at: '2030-01-01T00:00:00Z' })).toEqual({
      name: 'once',
      url: 'https://example.com',
      scheduledAt: '2030-01-01T00:00:00Z',
    });
  });

  it('starts from --from-file (a path or stdin) and lets the flags override its fields, headers merged', async () => {
    const directory = await configHome();
    const file = join(directory, 'task.json');
    const task = { name: 'from file', url: 'https://example.com/a', headers: { 'X-A': '1' }, backoff: { type: 'fixed', delayMs: 500 } };
    await writeFile(file, JSON.stringify(task));

    expect(await buildCreateBody(io(), { fromFile: file, name: 'renamed', header: ['X-B: 2'] })).toEqual({
      ...task,
      name: 'renamed',
      headers: { 'X-A': '1', 'X-B': '2' },
    });
    expect(await buildCreateBody(io(JSON.stringify(task)), { fromFile: '-' })).toEqual(task);
  });

  it('reads --body from a file with @path, and sends a JSON string as text', async () => {
    const file = join(await configHome(), 'body.json');
    await writeFile(file, '[1, 2, 3]');
    expect(await buildCreateBody(io(), { name: 'n', url: 'https://example.com', body: `@${file}` })).toMatchObject({ body: [1, 2, 3] });
    expect(await buildCreateBody(io(), { name: 'n', url: 'https://example.com', body: '"plain text"' })).toMatchObject({
      body: 'plain text',
    });
  });

  it('refuses a file that is not a JSON object, naming the file', async () => {
    const file = join(await configHome(), 'task.json');
    await writeFile(file, '["not", "an object"]');
    await expect(buildCreateBody(io(), { fromFile: file })).rejects.toThrow(`--from-file ${file} must hold a JSON object`);
    await expect(buildCreateBody(io(), { fromFile: `${file}.missing` })).rejects.toThrow(/--from-file: cannot read .*ENOENT/);
    await expect(buildCreateBody(io(), { fromFile: file })).rejects.toBeInstanceOf(UsageError);
  });

  it("parses 'Name: value' headers on the first colon", () => {
    expect(parseHeaders(['Accept: application/json', 'X-Time: 12:30'])).toEqual({ Accept: 'application/json', 'X-Time': '12:30' });
    expect(() => parseHeaders([': empty name'])).toThrow(UsageError);
  });
});
