import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { configHome } from './run-cli-helpers.js';

// The compiled entry point as `pnpm link` or npm would install it (the test run builds the workspace first). The flows
// against a real API run the binary too, in e2e/test/cli.test.ts.
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

async function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

describe('the punctual binary', () => {
  it('is a node script', async () => {
    expect((await readFile(MAIN, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('exits 0 for --version, 2 for a usage error and 1 without credentials, each with one line and no stack trace', async () => {
    const env = { HOME: await configHome() };
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await run(['--version'], env)).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });

    expect(await run(['tasks', 'pause'], env)).toEqual({
      code: 2,
      stdout: '',
      stderr: "error: missing required argument 'ids'\n(add --help for usage)\n",
    });
    expect(await run(['tasks', 'list'], env)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: no API key for http://127.0.0.1:3000: run `punctual login`, or set PUNCTUAL_API_KEY or pass --api-key\n',
    });
  });
});
