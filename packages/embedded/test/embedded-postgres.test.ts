import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedPostgresError, startEmbeddedPostgres, type EmbeddedPostgres } from '@punctual/embedded';
import { queryOnce } from '@punctual/db';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

function query<T>(url: string, sql: string): Promise<T[]> {
  return queryOnce<T>(url, sql, { connectTimeoutMs: 2_000 });
}

async function answers(url: string): Promise<boolean> {
  return query(url, 'SELECT 1').then(
    () => true,
    () => false,
  );
}

function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('startEmbeddedPostgres', () => {
  let dataDir: string;
  const started: EmbeddedPostgres[] = [];
  const start = async (options: { durable?: boolean } = {}): Promise<EmbeddedPostgres> => {
    const postgres = await startEmbeddedPostgres({ dataDir, durable: false, ...options });
    started.push(postgres);
    return postgres;
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'punctual-embedded-test-'));
  });

  afterEach(async () => {
    for (const postgres of started.splice(0).reverse()) await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates the cluster and the punctual database once, then keeps its data, port and password across restarts', async () => {
    const first = await start({ durable: true });
    expect(first).toMatchObject({ created: true, dataDir });
    expect(first.url).toMatch(/^postgres:\/\/postgres:[\w-]{32}@127\.0\.0\.1:\d+\/punctual$/);
    expect(first.displayUrl).toBe(`postgres://postgres@127.0.0.1:${first.port}/punctual`);
    await query(first.url, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)');
    // The password is the superuser's: readable by DATA_DIR's owner only.
    expect(statSync(join(dataDir, 'embedded-postgres.json')).mode & 0o777).toBe(0o600);
    await first.stop();
    expect(await answers(first.url)).toBe(false);

    const second = await start();
    expect(second).toMatchObject({ created: false, url: first.url, port: first.port });
    expect(await query(second.url, 'SELECT n FROM kept')).toEqual([{ n: 42 }]);
    // Loopback TCP only, no Unix socket; a password is required.
    const [settings] = await query<{ listen: string; sockets: string }>(
      second.url,
      "SELECT current_setting('listen_addresses') AS listen, current_setting('unix_socket_directories') AS sockets",
    );
    expect(settings).toEqual({ listen: '127.0.0.1', sockets: '' });
    await expect(query(second.url.replace(/:[\w-]+@/, ':wrong@'), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
  });

  it('moves to another port, and keeps it, when another program has taken its port', async () => {
    const first = await start();
    await first.stop();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(first.port, '127.0.0.1', resolve));
    try {
      const second = await start();
      expect(second.port).not.toBe(first.port);
      expect(await answers(second.url)).toBe(true);
      expect(JSON.parse(readFileSync(join(dataDir, 'embedded-postgres.json'), 'utf8'))).toMatchObject({ port: second.port });
    } finally {
      squatter.close();
    }
  });

  it('refuses a DATA_DIR that a live process is using, in one line, and leaves the running server alone', async () => {
    const running = await start();
    const refused = await startEmbeddedPostgres({ dataDir, durable: false }).then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(refused).toBeInstanceOf(EmbeddedPostgresError);
    expect((refused as Error).message).toBe(
      `${dataDir} is in use by process ${process.pid} (another \`pnpm start\`?): stop it, or use another DATA_DIR`,
    );
    expect(await answers(running.url)).toBe(true);
  });

  it('takes over a DATA_DIR whose recorded owner pid now belongs to another process (after a reboot)', async () => {
    const first = await start();
    await first.stop();
    // This test process's pid, but not its start time: a pid reused after a reboot.
    writeFileSync(join(dataDir, 'embedded-postgres.owner'), `${process.pid} 1\n`);
    expect(await answers((await start()).url)).toBe(true);
  });

  it('shuts down a Postgres left running by a start that crashed, then starts again on the same data', async () => {
    const orphaned = await start();
    await query(orphaned.url, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)');
    const orphan = postmasterPid(dataDir);
    // As after a crash of the process that started it: nobody owns DATA_DIR, its postmaster still runs.
    await rm(join(dataDir, 'embedded-postgres.owner'));

    const restarted = await start();
    expect(isAlive(orphan)).toBe(false);
    expect(postmasterPid(dataDir)).not.toBe(orphan);
    expect(await query(restarted.url, 'SELECT n FROM kept')).toEqual([{ n: 7 }]);
  });

  it('starts despite a postmaster.pid naming a live process that is not its postmaster (a pid reused after a reboot)', async () => {
    const first = await start();
    await first.stop();
    // Postgres itself would refuse: the pid is alive (this test process).
    writeFileSync(join(dataDir, 'postgres', 'postmaster.pid'), `${process.pid}\n${dataDir}/postgres\n`);

    const second = await start();
    expect(second.created).toBe(false);
    expect(await answers(second.url)).toBe(true);
    expect(postmasterPid(dataDir)).not.toBe(process.pid);
  });

  it('stops its Postgres when the process that started it is killed, and starts again on the same data', async () => {
    const holder = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', fileURLToPath(new URL('fixtures/hold-embedded-postgres.ts', import.meta.url)), dataDir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const line = await new Promise<string>((resolve, reject) => {
      let output = '';
      holder.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('\n')) resolve(output.split('\n')[0]!);
      });
      holder.once('exit', (code) => reject(new Error(`the holder exited with code ${code}: ${output}`)));
    });
    const { url } = JSON.parse(line) as { url: string };
    await query(url, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (9)');
    const postmaster = postmasterPid(dataDir);

    holder.kill('SIGKILL');
    await waitUntil(() => !isAlive(postmaster), 15_000);

    const restarted = await start();
    expect(restarted.created).toBe(false);
    expect(await query(restarted.url, 'SELECT n FROM kept')).toEqual([{ n: 9 }]);
  });

  it.runIf(process.getuid?.() === 0)(
    'runs Postgres as the postgres OS user when started as root, in a directory that user owns',
    async () => {
      const postgres = await start();
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${postmasterPid(dataDir)}/status`, 'utf8'))![1]);
      expect(postgres.osUser).toEqual({ name: 'postgres', created: false });
      expect(uid).not.toBe(0);
      expect(statSync(join(dataDir, 'postgres')).uid).toBe(uid);
    },
  );

  it.runIf(process.getuid?.() === 0)('says in one line when, run as root, the postgres user cannot reach DATA_DIR', async () => {
    // A directory only root may enter, as /root is.
    await chmod(dataDir, 0o700);
    const inside = join(dataDir, 'data');
    const error = await startEmbeddedPostgres({ dataDir: inside, durable: false }).then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(EmbeddedPostgresError);
    expect((error as Error).message).toBe(
      `the OS user postgres, which runs the embedded Postgres when Punctual runs as root, cannot write ${inside}/postgres: ` +
        'make the directories above DATA_DIR traversable (chmod o+x), or set DATA_DIR to a directory it can reach (e.g. /var/lib/punctual)',
    );
  });

  it.runIf(process.getuid?.() === 0 && spawnSync('runuser', ['--help']).status === 0)(
    'runs Postgres as the invoking user when that is not root, with no OS user of its own (run here as nobody)',
    async () => {
      await chmod(dataDir, 0o777);
      const fixture = fileURLToPath(new URL('fixtures/start-and-stop-embedded-postgres.ts', import.meta.url));
      const run = spawnSync(
        'runuser',
        ['-u', 'nobody', '--', process.execPath, '--conditions=source', '--import', 'tsx', fixture, dataDir],
        {
          encoding: 'utf8',
          env: { ...process.env, HOME: tmpdir() },
          timeout: 60_000,
        },
      );
      expect(run.status, run.stderr).toBe(0);
      const nobody = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
      expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual({
        uid: nobody,
        postmasterUid: nobody,
        osUser: null,
        created: true,
      });
    },
  );
});
