import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError, configFilePath, readConfigFile, removeConfigFile, resolveSettings, writeConfigFile } from '../src/index.js';
import { configHome } from './run-cli-helpers.js';

const io = (env: Record<string, string | undefined>) => ({ env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });

describe('config file', () => {
  it('lives in $XDG_CONFIG_HOME/punctual, else in ~/.config/punctual', () => {
    expect(configFilePath({ XDG_CONFIG_HOME: '/x', HOME: '/home/a' })).toBe('/x/punctual/config.json');
    expect(configFilePath({ HOME: '/home/a' })).toBe('/home/a/.config/punctual/config.json');
    expect(configFilePath({ XDG_CONFIG_HOME: '', HOME: '/home/a' })).toBe('/home/a/.config/punctual/config.json');
    expect(() => configFilePath({})).toThrow(CliError);
  });

  it('is written readable by its owner only (0600, in a 0700 directory), even over a file that was not', async () => {
    const path = join(await configHome(), 'punctual', 'config.json');
    await writeConfigFile(path, { url: 'http://127.0.0.1:3000', apiKey: 'pk_first' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(path, '..'))).mode & 0o777).toBe(0o700);

    await chmod(path, 0o644);
    await writeConfigFile(path, { url: 'http://127.0.0.1:3000', apiKey: 'pk_second', apiKeyId: 'k2', email: 'a@example.com' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readConfigFile(path)).toEqual({
      url: 'http://127.0.0.1:3000',
      apiKey: 'pk_second',
      apiKeyId: 'k2',
      email: 'a@example.com',
    });
    // Written beside it and renamed over it: nothing else is left in the folder.
    expect(await readdir(join(path, '..'))).toEqual(['config.json']);
  });

  it('reads as undefined when absent, and refuses one that is not JSON or lacks the key', async () => {
    const path = join(await configHome(), 'punctual', 'config.json');
    expect(await readConfigFile(path)).toBeUndefined();
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, '{ not json');
    await expect(readConfigFile(path)).rejects.toThrow(/is not valid JSON: run `punctual login` again or delete it/);
    await writeFile(path, '{"url": "http://127.0.0.1:3000"}');
    await expect(readConfigFile(path)).rejects.toThrow(/has no "url" and "apiKey"/);
  });

  it('is removed by removeConfigFile, which says whether there was one', async () => {
    const path = join(await configHome(), 'punctual', 'config.json');
    await writeConfigFile(path, { url: 'http://127.0.0.1:3000', apiKey: 'pk_x' });
    expect(await removeConfigFile(path)).toBe(true);
    expect(await removeConfigFile(path)).toBe(false);
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('settings', () => {
  it('take the flag over the environment over the saved file, and default to the local API', async () => {
    const home = await configHome();
    expect(await resolveSettings(io({ XDG_CONFIG_HOME: home }), {})).toMatchObject({ url: 'http://127.0.0.1:3000', apiKey: undefined });

    await writeConfigFile(join(home, 'punctual', 'config.json'), { url: 'http://127.0.0.1:4000/', apiKey: 'pk_saved' });
    expect(await resolveSettings(io({ XDG_CONFIG_HOME: home }), {})).toMatchObject({ url: 'http://127.0.0.1:4000', apiKey: 'pk_saved' });
    expect(await resolveSettings(io({ XDG_CONFIG_HOME: home, PUNCTUAL_API_KEY: 'pk_env' }), {})).toMatchObject({ apiKey: 'pk_env' });
    expect(await resolveSettings(io({ XDG_CONFIG_HOME: home, PUNCTUAL_API_KEY: 'pk_env' }), { apiKey: 'pk_flag' })).toMatchObject({
      apiKey: 'pk_flag',
    });
  });

  it('never send the saved key to another server than the one it was created on', async () => {
    const home = await configHome();
    await writeConfigFile(join(home, 'punctual', 'config.json'), { url: 'http://127.0.0.1:4000', apiKey: 'pk_saved' });
    expect(await resolveSettings(io({ XDG_CONFIG_HOME: home, PUNCTUAL_URL: 'http://127.0.0.2:4000' }), {})).toMatchObject({
      url: 'http://127.0.0.2:4000',
      apiKey: undefined,
    });
    expect(await resolveSettings(io({ XDG_CONFIG_HOME: home }), { url: 'http://127.0.0.1:4000/' })).toMatchObject({ apiKey: 'pk_saved' });
  });

  it('refuse a URL that is not http(s)', async () => {
    const home = await configHome();
    await expect(resolveSettings(io({ XDG_CONFIG_HOME: home }), { url: 'localhost:3000' })).rejects.toThrow(/not an http\(s\) URL/);
    await expect(resolveSettings(io({ XDG_CONFIG_HOME: home }), { url: 'nowhere' })).rejects.toThrow(/not a URL: nowhere/);
  });
});
