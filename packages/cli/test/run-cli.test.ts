import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../src/index.js';
import { cli, closedUrl, configHome, terminal } from './run-cli-helpers.js';

// The command line itself, in-process: parsing, exit codes, prompts and refusals that need no API (the flows against a
// real API and worker are e2e/test/cli.test.ts).
describe('punctual command line', () => {
  it('prints help and the version on stdout with exit code 0', async () => {
    const help = await cli(['--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: punctual \[options\] \[command\]/);
    for (const command of ['login', 'logout', 'whoami', 'tasks', 'keys']) expect(help.stdout).toContain(`  ${command}`);
    expect(help.stdout).toContain('Exit codes: 0 done, 1 failed');

    const version = await cli(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });

  it.for([
    { args: ['tasks', 'list', '--bogus'], message: "error: unknown option '--bogus'" },
    { args: ['tasks', 'frobnicate'], message: "error: unknown command 'frobnicate'" },
    { args: ['tasks', 'get'], message: "error: missing required argument 'id'" },
    {
      args: ['tasks', 'list', '--limit', '500'],
      message: "option '--limit <n>' argument '500' is invalid. expected a whole number from 1 to 100",
    },
    { args: ['tasks', 'list', '--status', 'asleep'], message: "argument 'asleep' is invalid. Allowed choices are pending, running" },
    {
      args: ['tasks', 'create', '--name', 'x', '--method', 'FETCH'],
      message: 'expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS',
    },
    { args: ['keys', 'create', 'ci', '--scope', 'admin'], message: "argument 'admin' is invalid. Allowed choices are full, read" },
  ])('exits 2 with a usage message for $args', async ({ args, message }) => {
    const run = await cli(args, { env: { HOME: '/nonexistent' } });
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toContain(message);
  });

  it.for([
    { args: ['tasks', 'create', '--url', 'https://example.com'], message: 'error: a task needs a name: pass --name' },
    { args: ['tasks', 'create', '--name', 'x'], message: 'error: a task needs a URL to call: pass --url' },
    {
      args: ['tasks', 'create', '--name', 'x', '--url', 'https://example.com', '--cron', '* * * * *', '--at', '2030-01-01T00:00:00Z'],
      message: 'error: --cron and --at cannot go together',
    },
    { args: ['tasks', 'create', '--name', 'x', '--url', 'https://example.com', '--body', '{nope'], message: 'error: --body is not JSON' },
    {
      args: ['tasks', 'create', '--name', 'x', '--url', 'https://example.com', '--header', 'no colon'],
      message: "error: --header must be 'Name: value', got 'no colon'",
    },
    {
      args: ['tasks', 'delete', '6f1c2a9e-0b7d-4c55-9a61-2f4e8d7c6b10'],
      message: 'error: refusing to delete without --yes: stdin is not a terminal',
    },
    { args: ['login'], message: 'error: stdin is not a terminal, so there is no one to ask: pass --email' },
    {
      args: ['login', '--email', 'a@example.com'],
      message: 'error: stdin is not a terminal, so there is no one to ask: pass --password-stdin',
    },
  ])('exits 2 before any request when the command cannot be done as written: $message', async ({ args, message }) => {
    const run = await cli(args, { env: { HOME: await configHome(), PUNCTUAL_URL: await closedUrl(), PUNCTUAL_API_KEY: 'pk_test' } });
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toMatch(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('says plainly when the API cannot be reached (exit 1, no stack trace)', async () => {
    const url = await closedUrl();
    const run = await cli(['tasks', 'list'], { env: { HOME: await configHome(), PUNCTUAL_URL: url, PUNCTUAL_API_KEY: 'pk_test' } });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: cannot reach ${url}: connect ECONNREFUSED ${url.slice('http://'.length)}\n`,
    });
  });

  it("takes --url and --json before the command or after it, except that tasks create --url is the task's", async () => {
    const [envUrl, flagUrl] = [await closedUrl(), await closedUrl()];
    const env = { HOME: await configHome(), PUNCTUAL_URL: envUrl, PUNCTUAL_API_KEY: 'pk_test' };
    const reached = async (args: string[]) => (await cli(args, { env })).stderr;

    expect(await reached(['--url', flagUrl, 'tasks', 'list'])).toContain(`cannot reach ${flagUrl}`);
    expect(await reached(['tasks', 'list', '--url', flagUrl, '--json'])).toContain(`cannot reach ${flagUrl}`);
    expect(await reached(['--json', 'tasks', 'get', 'x'])).toContain(`cannot reach ${envUrl}`);
    expect(await reached(['tasks', 'create', '--name', 'n', '--url', 'https://example.com/hook'])).toContain(`cannot reach ${envUrl}`);
    expect(await reached(['--url', flagUrl, 'tasks', 'create', '--name', 'n', '--url', 'https://example.com/hook'])).toContain(
      `cannot reach ${flagUrl}`,
    );
  });

  it('says how to get credentials when there are none (exit 1)', async () => {
    const run = await cli(['tasks', 'get', 'x'], { env: { HOME: await configHome() } });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: no API key for http://127.0.0.1:3000: run `punctual login`, or set PUNCTUAL_API_KEY or pass --api-key\n',
    });
  });

  // Readline draws its prompts with cursor moves on a terminal; the tests read the text without them.
  describe('on a terminal', () => {
    it('asks for the email and the password at login, and echoes no password', async () => {
      const url = await closedUrl();
      const run = await cli(['login'], {
        env: { HOME: await configHome(), PUNCTUAL_URL: url },
        stdin: terminal('ada@example.com', 'hunter2-secret'),
      });
      const screen = stripVTControlCharacters(run.stderr);
      expect(screen).toContain('Email: ada@example.com');
      expect(screen).toContain('Password for ada@example.com: \n');
      expect(run.stderr).not.toContain('hunter2');
      // The sign-in was attempted with those answers: nothing listens there.
      expect(run.stderr).toContain(`error: cannot reach ${url}`);
      expect(run.code).toBe(1);
    });

    it('takes Ctrl-D at a prompt as a cancel: exit 130, one line, no stack trace', async () => {
      const stdin = Object.assign(new PassThrough(), { isTTY: true });
      setTimeout(() => stdin.write('\u0004'), 50);
      const run = await cli(['login'], { env: { HOME: await configHome(), PUNCTUAL_URL: await closedUrl() }, stdin });

      expect(run.code).toBe(130);
      expect(run.stderr).toContain('error: cancelled\n');
      expect(run.stderr).not.toMatch(/AbortError|\n\s+at /);
    });

    it('deletes nothing unless the answer is yes', async () => {
      const env = { HOME: await configHome(), PUNCTUAL_URL: await closedUrl(), PUNCTUAL_API_KEY: 'pk_test' };
      const id = '6f1c2a9e-0b7d-4c55-9a61-2f4e8d7c6b10';

      const no = await cli(['tasks', 'delete', id], { env, stdin: terminal('n') });
      expect(stripVTControlCharacters(no.stderr)).toContain(`Delete task ${id} and its logs? This cannot be undone. [y/N] n`);
      expect(no.stderr).toContain('error: not deleted: the answer was not yes');
      expect(no.code).toBe(2);

      // Yes goes on to the API (which is not there: the request is what shows the answer was taken).
      const yes = await cli(['tasks', 'delete', id], { env, stdin: terminal('y') });
      expect(yes.stderr).toContain('error: cannot reach');
      expect(yes.code).toBe(1);
    });
  });

  it('prints stored text with its control characters made harmless, so no data can drive the terminal', async () => {
    expect(terminalSafe('\u001b[31mred\u0007 \u009b2J\nnext\tcolumn\u007f')).toBe('?[31mred? ?2J\nnext\tcolumn?');
    // An error message from the API goes through the same door (here: a URL the CLI refuses, echoed in the message).
    const run = await cli(['--url', 'ftp://\u001b]0;owned\u0007', 'tasks', 'list'], { env: { HOME: await configHome() } });
    expect(run.stderr).toContain('ftp://?]0;owned?');
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    expect(run.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});
