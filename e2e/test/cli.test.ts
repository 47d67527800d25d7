import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCli } from '@punctual/cli';
import { createPunctualClient, unwrap } from '@punctual/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useRunningStack, waitFor } from './punctual-client.js';

const PASSWORD = 'correct horse battery staple';
const MAIN = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

// The `punctual` CLI against real API and worker processes: in-process through runCli (captured streams, an env of
// its own, stdin that is not a terminal, as in a script), and as the built binary in a child process.
describe('punctual CLI end to end', () => {
  const stack = useRunningStack({ workers: 1 });
  const email = `cli-${randomUUID()}@example.com`;
  let configHome: string;
  /** A full-scope key of the account, given to most commands as PUNCTUAL_API_KEY. */
  let apiKey: string;

  beforeAll(async () => {
    configHome = await mkdtemp(join(tmpdir(), 'punctual-cli-'));
    const anonymous = createPunctualClient({ baseUrl: stack.api.url });
    const { token } = await unwrap(anonymous.POST('/api/v1/auth/register', { body: { email, password: PASSWORD } }));
    const session = createPunctualClient({ baseUrl: stack.api.url, token });
    ({ key: apiKey } = await unwrap(session.POST('/api/v1/auth/api-keys', { body: { name: 'e2e', scope: 'full' } })));
  });

  afterAll(async () => {
    await rm(configHome, { recursive: true, force: true });
  });

  /** Runs the CLI in-process; `env` replaces the default PUNCTUAL_URL / PUNCTUAL_API_KEY (undefined removes one). */
  async function cli(args: string[], options: { stdin?: string; env?: Record<string, string | undefined> } = {}): Promise<CliRun> {
    let stdout = '';
    let stderr = '';
    const env = { XDG_CONFIG_HOME: configHome, PUNCTUAL_URL: stack.api.url, PUNCTUAL_API_KEY: apiKey, ...options.env };
    const code = await runCli(args, {
      stdin: Readable.from([options.stdin ?? '']),
      stdout: { write: (chunk: string) => (stdout += chunk) },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      env,
    });
    return { code, stdout, stderr };
  }

  async function cliJson<T = any>(args: string[]): Promise<T> {
    const run = await cli([...args, '--json']);
    expect(run, run.stderr).toMatchObject({ code: 0 });
    return JSON.parse(run.stdout) as T;
  }

  /** A recurring task that does not fire during the test (once a year), created through the API. */
  async function yearlyTask(name: string): Promise<string> {
    const task = await cliJson([
      'tasks',
      'create',
      '--name',
      name,
      '--url',
      `${stack.target.url}/ok/${randomUUID()}`,
      '--cron',
      '0 0 1 1 *',
    ]);
    return task.id as string;
  }

  it('logs in with a password from stdin, saves the URL and a new key with mode 0600, and later commands use them', async () => {
    const home = await mkdtemp(join(tmpdir(), 'punctual-login-'));
    const env = { XDG_CONFIG_HOME: home, PUNCTUAL_URL: undefined, PUNCTUAL_API_KEY: undefined };
    try {
      const login = await cli(['--url', stack.api.url, 'login', '--email', email, '--password-stdin'], { stdin: `${PASSWORD}\n`, env });
      expect(login, login.stderr).toMatchObject({ code: 0 });
      expect(login.stdout).toContain(`Logged in to ${stack.api.url} as ${email}`);

      const path = join(home, 'punctual', 'config.json');
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      const saved = JSON.parse(await readFile(path, 'utf8'));
      expect(saved).toMatchObject({ url: stack.api.url, email, apiKey: expect.stringMatching(/^pk_/) });

      // Neither PUNCTUAL_URL nor PUNCTUAL_API_KEY: the saved file says where and with what.
      const whoami = await cli(['whoami'], { env });
      expect(whoami).toMatchObject({ code: 0, stdout: `${email} (user) on ${stack.api.url}\n` });
      const keys = await cli(['keys', 'list', '--json', '--password-stdin'], { stdin: PASSWORD, env });
      expect(JSON.parse(keys.stdout).data).toContainEqual(expect.objectContaining({ id: saved.apiKeyId, scope: 'full' }));

      // A second login replaces the first one's key rather than leave it valid.
      const again = await cli(['login', '--email', email, '--password-stdin'], { stdin: PASSWORD, env });
      expect(again, again.stderr).toMatchObject({ code: 0 });
      const resaved = JSON.parse(await readFile(path, 'utf8'));
      expect(resaved.apiKeyId).not.toBe(saved.apiKeyId);
      expect((await cli(['whoami'], { env: { ...env, PUNCTUAL_URL: stack.api.url, PUNCTUAL_API_KEY: saved.apiKey } })).code).toBe(1);

      // Logout revokes the saved key (with a session: no key may delete one) and removes the file.
      const logout = await cli(['logout', '--password-stdin'], { stdin: PASSWORD, env });
      expect(logout, logout.stderr).toMatchObject({ code: 0 });
      expect(logout.stdout).toBe(`Logged out of ${stack.api.url}: removed ${path} and revoked its API key.\n`);
      await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
      const revoked = await cli(['whoami'], { env: { ...env, PUNCTUAL_URL: stack.api.url, PUNCTUAL_API_KEY: resaved.apiKey } });
      expect(revoked.code).toBe(1);
      expect(revoked.stderr).toMatch(/^error: .*run `punctual login`/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('logs out without a password by removing the file and naming the key that stays valid, and after a revoke', async () => {
    const home = await mkdtemp(join(tmpdir(), 'punctual-login-'));
    const env = { XDG_CONFIG_HOME: home, PUNCTUAL_URL: undefined, PUNCTUAL_API_KEY: undefined };
    try {
      await cli(['--url', stack.api.url, 'login', '--email', email, '--password-stdin'], { stdin: PASSWORD, env });
      const saved = JSON.parse(await readFile(join(home, 'punctual', 'config.json'), 'utf8'));

      const logout = await cli(['logout'], { env });
      expect(logout.code).toBe(0);
      expect(logout.stderr).toContain(`The API key ${saved.apiKeyId} stays valid until revoked`);
      expect((await cli(['whoami'], { env: { PUNCTUAL_URL: stack.api.url, PUNCTUAL_API_KEY: saved.apiKey } })).code).toBe(0);
      const revoke = await cli(['keys', 'revoke', saved.apiKeyId, '--email', email, '--password-stdin'], { stdin: PASSWORD });
      expect(revoke.code).toBe(0);

      // A key revoked already, as that one now is, does not stop a logout that would revoke it.
      await cli(['--url', stack.api.url, 'login', '--email', email, '--password-stdin'], { stdin: PASSWORD, env });
      const { apiKeyId } = JSON.parse(await readFile(join(home, 'punctual', 'config.json'), 'utf8'));
      expect((await cli(['keys', 'revoke', apiKeyId, '--email', email, '--password-stdin'], { stdin: PASSWORD })).code).toBe(0);
      const late = await cli(['logout', '--password-stdin'], { stdin: PASSWORD, env });
      expect(late, late.stderr).toMatchObject({ code: 0 });
      await expect(stat(join(home, 'punctual', 'config.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('refuses a wrong password at login with the API message and saves nothing', async () => {
    const home = await mkdtemp(join(tmpdir(), 'punctual-login-'));
    try {
      const login = await cli(['login', '--email', email, '--password-stdin'], { stdin: 'wrong password', env: { XDG_CONFIG_HOME: home } });
      expect(login.code).toBe(1);
      expect(login.stderr).toMatch(/^error: .*(email|password)/i);
      await expect(stat(join(home, 'punctual', 'config.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('creates a task that runs, then lists, shows and logs it as tables and as JSON', async () => {
    const path = `/echo/${randomUUID()}`;
    const name = `cli ${randomUUID().slice(0, 8)}`;
    const create = await cli([
      'tasks', 'create', '--name', name, '--url', `${stack.target.url}${path}`, '--method', 'post',
      '--header', 'X-Source: cli', '--body', '{"hello":"world"}', '--tag', 'cli', '--tag', 'e2e', '--max-retries', '1', '--json',
    ]); // prettier-ignore
    expect(create, create.stderr).toMatchObject({ code: 0 });
    const task = JSON.parse(create.stdout);
    expect(task).toMatchObject({
      name,
      method: 'POST',
      headers: { 'X-Source': 'cli' },
      body: { hello: 'world' },
      tags: ['cli', 'e2e'],
      maxRetries: 1,
    });

    const [hit] = await stack.target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });
    expect(hit!.headers['x-source']).toBe('cli');
    expect(JSON.parse(hit!.body.toString())).toEqual({ hello: 'world' });
    await waitFor(async () => expect((await cliJson(['tasks', 'get', task.id])).status).toBe('completed'));

    const list = await cli(['tasks', 'list', '--q', name]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID +NAME +STATUS +SCHEDULE +NEXT RUN +LAST RUN +TAGS\n/);
    expect(list.stdout).toMatch(new RegExp(`^${task.id}  ${name} +completed  once +- +succeeded 200  cli,e2e$`, 'm'));
    expect(list.stdout).toContain('Page 1 of 1 (1 task).');
    expect(await cliJson(['tasks', 'list', '--tag', 'e2e', '--status', 'completed'])).toMatchObject({ total: 1, data: [{ id: task.id }] });

    const get = await cli(['tasks', 'get', task.id]);
    expect(get.stdout).toContain(`POST ${stack.target.url}${path}`);
    expect(get.stdout).toMatch(/^status: +completed$/m);

    const logs = await cli(['tasks', 'logs', task.id]);
    expect(logs.stdout).toMatch(/ 1 +succeeded +200 +\d+ ms +-$/m);
    const logPage = await cliJson(['tasks', 'logs', task.id]);
    expect(logPage).toMatchObject({ total: 1, data: [{ taskId: task.id, outcome: 'succeeded', statusCode: 200, attempt: 1 }] });
  });

  it('pauses, resumes and cancels several tasks at once, and deletes them only with --yes off a terminal', async () => {
    const ids = [await yearlyTask('cli control 1'), await yearlyTask('cli control 2')];

    const paused = await cli(['tasks', 'pause', ...ids]);
    expect(paused, paused.stderr).toMatchObject({ code: 0 });
    expect(paused.stdout).toBe(ids.map((id, index) => `paused: ${id} (cli control ${index + 1}), now paused\n`).join(''));
    expect((await cliJson(['tasks', 'resume', ...ids])).map((task: { status: string }) => task.status)).toEqual(['pending', 'pending']);
    expect(await cliJson(['tasks', 'cancel', ids[0]!])).toMatchObject({ id: ids[0], status: 'cancelled' });

    // A refusal names the task and its status, and the other ids still go ahead.
    const mixed = await cli(['tasks', 'pause', ids[0]!, ids[1]!]);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(new RegExp(`^error: ${ids[0]}: .*cancelled`));
    expect(mixed.stdout).toBe(`paused: ${ids[1]} (cli control 2), now paused\n`);

    const unconfirmed = await cli(['tasks', 'delete', ...ids]);
    expect(unconfirmed).toMatchObject({ code: 2, stdout: '' });
    expect(unconfirmed.stderr).toContain('refusing to delete without --yes');
    expect((await cli(['tasks', 'get', ids[0]!])).code).toBe(0);

    const deleted = await cli(['tasks', 'delete', '--yes', ...ids]);
    expect(deleted).toMatchObject({ code: 0, stdout: ids.map((id) => `deleted: ${id}\n`).join('') });
    const gone = await cli(['tasks', 'get', ids[0]!]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: .*not found/i);
  });

  it("shows the API's 400 naming the field, with exit code 1 and no stack trace", async () => {
    const run = await cli(['tasks', 'create', '--name', 'bad', '--url', 'not a url']);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toMatch(/^error: body\/url .*\n$/);
    expect(run.stderr).not.toContain('    at ');
  });

  it('says how to get credentials when there are none', async () => {
    const home = await mkdtemp(join(tmpdir(), 'punctual-none-'));
    try {
      const run = await cli(['tasks', 'list'], { env: { XDG_CONFIG_HOME: home, PUNCTUAL_API_KEY: undefined } });
      expect(run).toMatchObject({ code: 1, stdout: '' });
      expect(run.stderr).toBe(
        `error: no API key for ${stack.api.url}: run \`punctual login\`, or set PUNCTUAL_API_KEY or pass --api-key\n`,
      );
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('creates a read-only key shown once, lists it, and revokes it', async () => {
    const create = await cli(['keys', 'create', 'ci readonly', '--scope', 'read', '--email', email, '--password-stdin'], {
      stdin: PASSWORD,
    });
    expect(create, create.stderr).toMatchObject({ code: 0 });
    const key = create.stdout.trim();
    expect(key).toMatch(/^pk_\S+$/);
    expect(create.stderr).toContain('It is not shown again');

    // The key is read-only: listing works, creating is refused by the API.
    expect((await cli(['tasks', 'list'], { env: { PUNCTUAL_API_KEY: key } })).code).toBe(0);
    const refused = await cli(['tasks', 'create', '--name', 'x', '--url', `${stack.target.url}/ok`], { env: { PUNCTUAL_API_KEY: key } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: .*scope/);

    const list = await cli(['keys', 'list', '--email', email, '--password-stdin'], { stdin: PASSWORD });
    expect(list.stdout).toMatch(new RegExp(`  ci readonly +read +${key.slice(0, 11)}…  `));
    const listed = JSON.parse((await cli(['keys', 'list', '--json', '--email', email, '--password-stdin'], { stdin: PASSWORD })).stdout);
    const { id } = listed.data.find((entry: { name: string }) => entry.name === 'ci readonly');

    const revoke = await cli(['keys', 'revoke', id, '--email', email, '--password-stdin'], { stdin: PASSWORD });
    expect(revoke).toMatchObject({ code: 0, stdout: `revoked: ${id}\n` });
    expect((await cli(['tasks', 'list'], { env: { PUNCTUAL_API_KEY: key } })).code).toBe(1);
  });

  it('runs as a built binary: JSON on stdout with exit 0, the API message on stderr with exit 1', async () => {
    const env = { PATH: process.env.PATH ?? '', XDG_CONFIG_HOME: configHome, PUNCTUAL_URL: stack.api.url, PUNCTUAL_API_KEY: apiKey };
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [MAIN, ...args], { env }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
      );
    const id = await yearlyTask('cli binary');

    const get = await run(['tasks', 'get', id, '--json']);
    expect(get, get.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(get.stdout)).toMatchObject({ id, name: 'cli binary', cron: '0 0 1 1 *' });

    const bad = await run(['tasks', 'create', '--name', 'bad', '--url', `${stack.target.url}/ok`, '--timeout-ms', '1']);
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toMatch(/^error: body\/timeoutMs .*\n$/);

    const usage = await run(['tasks', 'list', '--limit', 'many']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("option '--limit <n>' argument 'many' is invalid");
  });
});
