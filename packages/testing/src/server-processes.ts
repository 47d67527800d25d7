import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runWhenGone, sendSignal } from '@punctual/process';
import { withRedis } from '@punctual/queue';
import { withDatabase } from './service-probe.js';
import { freePort } from './free-port.js';

// Private Redis and Postgres servers for fault-injection tests: unlike the shared ones, these may be killed, flushed
// and restarted. Whatever a test leaves running is stopped when the test process goes away (see `runWhenGone` in @punctual/process).

/** A private `redis-server` without persistence, so a restart starts empty. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`; stays the same across restarts. */
  url: string;
  port: number;
  /** SIGTERM (no save, as persistence is off); resolves once it has exited. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash or an OOM kill would; resolves once it is gone. */
  kill(): Promise<void>;
  /** Stops it if it runs, then starts it again on the same port; resolves once it answers PING. The data is gone. */
  restart(): Promise<void>;
  /** FLUSHALL: empties every database without restarting. */
  flushAll(): Promise<void>;
}

/** A throwaway Postgres cluster in a temporary directory, run by the local Postgres binaries. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication); stays the same across restarts. */
  url: string;
  port: number;
  /** The cluster's data directory; it also holds the Unix socket and the server log (`postgres.log`). */
  dataDir: string;
  /** The URL of database `name` on this server. */
  databaseUrl(name: string): string;
  /** `pg_ctl stop -m fast`: disconnects clients, checkpoints and exits. */
  stop(): Promise<void>;
  /** Stops it if it runs, then starts it again on the same port with the same data; resolves once it accepts connections. */
  restart(): Promise<void>;
  /** SIGKILL to the postmaster and its backends, as a crash would; resolves once all are gone. Data survives a restart. */
  kill(): Promise<void>;
  /** Stops it if it runs and deletes its directory. */
  remove(): Promise<void>;
}

export interface PostgresServerOptions {
  /** Defaults to a free port chosen by the OS. */
  port?: number;
  /** Where `initdb`, `pg_ctl` and `postgres` are; found by default (see `postgresServerAvailable`). */
  binDir?: string;
}

const READY_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 10_000;
const PG_CTL_TIMEOUT_SECONDS = 30;
const OUTPUT_LIMIT_CHARS = 64 * 1024;
const PORT_ATTEMPTS = 3;

const runFile = promisify(execFile);

/** Each running redis-server, with the function that dismisses its watchdog. */
const liveRedis = new Map<ChildProcess, () => void>();
const liveClusters = new Map<string, { binDir: string; running: boolean }>();
let exitHookInstalled = false;

/**
 * Starts `redis-server` on 127.0.0.1 (on `options.port`, or a free port chosen by the OS) with persistence off.
 * Resolves once it answers PING.
 */
export async function startRedisServer(options: { port?: number } = {}): Promise<RedisServer> {
  const started = await onFreePort(options.port, spawnRedis);
  const { port } = started;
  let child = started.result;
  const url = `redis://127.0.0.1:${port}`;

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await exitedWithin(child, EXIT_TIMEOUT_MS))) {
      child.kill('SIGKILL');
      await exitedWithin(child, Number.POSITIVE_INFINITY);
      throw new Error(`redis-server on port ${port} did not exit within ${EXIT_TIMEOUT_MS} ms of SIGTERM, so it was killed`);
    }
  };

  return {
    url,
    port,
    stop,
    async kill() {
      child.kill('SIGKILL');
      await exitedWithin(child, Number.POSITIVE_INFINITY);
    },
    async restart() {
      await stop();
      child = await spawnRedis(port);
    },
    async flushAll() {
      await withRedis(url, (redis) => redis.flushall('SYNC'));
    },
  };
}

/**
 * Spawns redis-server in the foreground and resolves with it once it answers PING (as itself: its INFO names its pid,
 * so a server that already held the port does not count); rejects with its output when it exits first.
 */
async function spawnRedis(port: number): Promise<ChildProcess> {
  installExitHook();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: string): void => {
    output = (output + chunk).slice(-OUTPUT_LIMIT_CHARS);
  };
  child.stdout.setEncoding('utf8').on('data', append);
  child.stderr.setEncoding('utf8').on('data', append);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  if (child.pid !== undefined) {
    const dismissWatchdog = runWhenGone('kill -9 "$1"', [String(child.pid)]);
    liveRedis.set(child, dismissWatchdog);
    child.once('exit', () => {
      dismissWatchdog();
      liveRedis.delete(child);
    });
  }

  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (child.exitCode === null && child.signalCode === null) {
    if ((await redisProcessId(url)) === child.pid) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exitedWithin(child, Number.POSITIVE_INFINITY);
      throw new Error(`redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms. Output:\n${output}`);
    }
    const error = await Promise.race([spawnError, sleep(50)]);
    if (error) throw new Error(`redis-server could not be started: ${error.message}`);
  }
  await exitedWithin(child, Number.POSITIVE_INFINITY);
  throw new ServerStartError(
    `redis-server on port ${port} exited before it answered PING. Output:\n${output}`,
    /Address already in use/.test(output),
  );
}

/** The pid of the Redis server answering at `url`, or null when none answers. */
async function redisProcessId(url: string): Promise<number | null> {
  try {
    return await withRedis(url, async (redis) => Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1]));
  } catch {
    return null;
  }
}

/**
 * Creates a cluster in a new temporary directory (`initdb --no-sync`, trust authentication, superuser `postgres`)
 * and starts it on 127.0.0.1 without fsync: a committed row survives kill(), though not an OS crash. Run as root,
 * the binaries run as the `postgres` OS user, which Postgres requires.
 */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const binDir = options.binDir ?? findPostgresBinDir();
  if (!binDir)
    throw new Error('startPostgresServer: no local Postgres binaries (initdb, pg_ctl) found; check postgresServerAvailable() first');
  installExitHook();
  const dataDir = await mkdtemp(join(tmpdir(), 'punctual-pg-'));
  const cluster = { binDir, running: false };
  liveClusters.set(dataDir, cluster);
  const [pgCtlFile, pgCtlArgs] = postgresCommand(binDir, 'pg_ctl', ['-D', dataDir, '-m', 'immediate', 'stop']);
  const dismissWatchdog = runWhenGone('dir=$1; shift; "$@"; rm -rf -- "$dir"', [dataDir, pgCtlFile, ...pgCtlArgs]);

  const stop = async (): Promise<void> => {
    if (!cluster.running) return;
    await pgCtl(binDir, dataDir, ['-m', 'fast', 'stop']);
    cluster.running = false;
  };
  // Stops it even when a start failed half-way or `running` is stale: the data is going anyway.
  const remove = async (): Promise<void> => {
    await pgCtl(binDir, dataDir, ['-m', 'immediate', 'stop']).catch(() => {});
    cluster.running = false;
    await rm(dataDir, { recursive: true, force: true });
    liveClusters.delete(dataDir);
    dismissWatchdog();
  };

  let port: number;
  try {
    if (isRoot()) await runFile('chown', ['postgres:', dataDir]);
    await runPostgresBinary(binDir, dataDir, 'initdb', [
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
      '-D',
      dataDir,
    ]);
    ({ port } = await onFreePort(options.port, (candidate) => startCluster(binDir, dataDir, candidate)));
    cluster.running = true;
  } catch (error) {
    await remove();
    throw error;
  }

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    dataDir,
    databaseUrl: (name) => withDatabase(url, name),
    stop,
    async restart() {
      await stop();
      await startCluster(binDir, dataDir, port);
      cluster.running = true;
    },
    async kill() {
      if (!cluster.running) return;
      await killCluster(dataDir);
      cluster.running = false;
    },
    remove,
  };
}

/**
 * Whether `startPostgresServer` can run here: local Postgres server binaries exist (`/usr/lib/postgresql/<version>/bin`
 * or `pg_config --bindir`) and, when running as root, `runuser` and a `postgres` OS user do too. A suite that needs
 * its own cluster skips when this is false (on a machine that only has Docker, say).
 */
export function postgresServerAvailable(): boolean {
  if (!findPostgresBinDir()) return false;
  if (!isRoot()) return true;
  return spawnSync('id', ['-u', 'postgres']).status === 0 && spawnSync('runuser', ['--help']).status === 0;
}

async function startCluster(binDir: string, dataDir: string, port: number): Promise<void> {
  // fsync=off makes commits fast and loses data only when the OS crashes. synchronous_commit stays on: off, a commit
  // would wait in shared memory for the WAL writer, and kill() would lose the last few hundred ms of commits.
  const settings = `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  // Without -l the postmaster would inherit pg_ctl's stdout and stderr, and pg_ctl's pipes would never close.
  const log = join(dataDir, 'postgres.log');
  try {
    await pgCtl(binDir, dataDir, ['-l', log, '-o', settings, 'start']);
  } catch (error) {
    const tail = (await readFile(log, 'utf8').catch(() => '')).slice(-4_000);
    throw new ServerStartError(`${(error as Error).message}\nServer log:\n${tail}`, /Address already in use/.test(tail));
  }
}

/**
 * SIGKILLs the postmaster and every process it started. It is stopped first so that it forks nothing in between; its
 * backends go too, so that none still holds the shared memory the next start checks for.
 */
async function killCluster(dataDir: string): Promise<void> {
  const postmaster = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  sendSignal(postmaster, 'SIGSTOP');
  const pids = [postmaster, ...childPids(postmaster)];
  for (const pid of pids) sendSignal(pid, 'SIGKILL');
  const deadline = Date.now() + EXIT_TIMEOUT_MS;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline)
      throw new Error(`Postgres processes ${pids.filter(isAlive).join(', ')} outlived SIGKILL by ${EXIT_TIMEOUT_MS} ms`);
    await sleep(20);
  }
  // A crash leaves the lock files behind (postmaster.pid, and the socket's). The next start would ignore them, as
  // their pid is dead, were it not that the dead postmaster may linger as a zombie (pid 1 in a container need not reap
  // orphans), which Postgres takes for alive.
  const lockFiles = readdirSync(dataDir).filter((name) => name === 'postmaster.pid' || /^\.s\.PGSQL\.\d+\.lock$/.test(name));
  await Promise.all(lockFiles.map((name) => rm(join(dataDir, name), { force: true })));
}

function pgCtl(binDir: string, dataDir: string, args: string[]): Promise<void> {
  return runPostgresBinary(binDir, dataDir, 'pg_ctl', ['-D', dataDir, '-w', '-t', String(PG_CTL_TIMEOUT_SECONDS), ...args]);
}

/** Runs a Postgres binary to completion, as the `postgres` OS user when this process is root; rejects with its output. */
async function runPostgresBinary(binDir: string, dataDir: string, name: string, args: string[]): Promise<void> {
  const [file, fullArgs] = postgresCommand(binDir, name, args);
  try {
    // The data directory is the one place the postgres user is sure to be allowed into.
    await runFile(file, fullArgs, { cwd: dataDir, timeout: (PG_CTL_TIMEOUT_SECONDS + 30) * 1_000 });
  } catch (error) {
    const { stdout = '', stderr = '', message } = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${name} ${args.join(' ')} failed: ${message}\n${stdout}${stderr}`, { cause: error });
  }
}

function postgresCommand(binDir: string, name: string, args: string[]): [string, string[]] {
  const binary = join(binDir, name);
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
}

let binDirFound: string | null | undefined;

/** The newest `/usr/lib/postgresql/<version>/bin` (Debian, Ubuntu), else `pg_config --bindir`, when it holds the server binaries. */
function findPostgresBinDir(): string | null {
  if (binDirFound !== undefined) return binDirFound;
  const hasServer = (dir: string): boolean => ['initdb', 'pg_ctl', 'postgres'].every((name) => existsSync(join(dir, name)));
  const root = '/usr/lib/postgresql';
  const versioned = existsSync(root)
    ? readdirSync(root)
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
        .map((version) => join(root, version, 'bin'))
    : [];
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const configured = pgConfig.status === 0 ? [pgConfig.stdout.trim()] : [];
  binDirFound = [...versioned, ...configured].find(hasServer) ?? null;
  return binDirFound;
}

/**
 * Starts a server on `port`, or on a free port chosen by the OS; when someone else bound that port first, retries
 * on another one.
 */
async function onFreePort<T>(port: number | undefined, start: (port: number) => Promise<T>): Promise<{ port: number; result: T }> {
  for (let attempt = 1; ; attempt++) {
    const candidate = port ?? (await freePort());
    try {
      return { port: candidate, result: await start(candidate) };
    } catch (error) {
      const portTaken = error instanceof ServerStartError && error.portTaken;
      if (port !== undefined || !portTaken || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

class ServerStartError extends Error {
  constructor(
    message: string,
    readonly portTaken: boolean,
  ) {
    super(message);
    this.name = 'ServerStartError';
  }
}

/** The pids whose parent is `pid` (Linux `/proc`; none elsewhere). */
function childPids(pid: number): number[] {
  if (!existsSync('/proc')) return [];
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat?.ppid === pid) children.push(Number(entry));
  }
  return children;
}

/** A zombie counts as gone: the postmaster's new parent may never reap it. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return readProcStat(pid)?.state !== 'Z';
}

function readProcStat(pid: number): { state: string; ppid: number } | null {
  try {
    // The command name may hold spaces and parentheses; the fields after its closing one are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state = '', ppid = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return null;
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

async function exitedWithin(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<boolean>((resolve) => child.once('exit', () => resolve(true)));
  const timedOut = new Promise<boolean>((resolve) => {
    if (Number.isFinite(timeoutMs)) timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const result = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  return result;
}

function sleep(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}

/**
 * Safety net for a test file that forgets to stop its servers, when the test process exits rather than being killed
 * by a signal. The clusters are daemons (pg_ctl detaches them), so they are stopped explicitly, synchronously as an
 * exit hook must.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [child, dismissWatchdog] of liveRedis) {
      child.kill('SIGKILL');
      dismissWatchdog();
    }
    for (const [dataDir, { binDir }] of liveClusters) {
      const [file, args] = postgresCommand(binDir, 'pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop']);
      spawnSync(file, args, { cwd: '/', stdio: 'ignore' });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
