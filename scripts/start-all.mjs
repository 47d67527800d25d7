// `pnpm start`: the backends (the configured servers, or the embedded Postgres of the single-machine mode), then
// migrations, then the API and one worker on one machine. Forwards SIGINT/SIGTERM to its children and exits when
// either stops, with its exit code; an embedded Postgres is stopped last, after them.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readEnvironment } from '@punctual/config';
import { startBackends } from '@punctual/embedded';

const root = fileURLToPath(new URL('..', import.meta.url));

let stopping = false;
const running = new Set();
function stopAll(signal) {
  if (stopping) return;
  stopping = true;
  for (const child of running) if (child.exitCode === null) child.kill(signal);
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll(signal));

// What to run against is decided here, once, and passed to every process (see @punctual/embedded's startBackends).
let backends;
try {
  backends = await startBackends(readEnvironment(`${root}.env`));
} catch (error) {
  console.error(`punctual: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
if (backends.announcement) console.log(backends.announcement);
const env = { ...process.env, ...backends.env };

// `node --import tsx` rather than the tsx CLI: the process that gets the signal is the one that handles it, so a
// graceful stop ends with the entry's own exit code (0), not a re-raised signal. Each child gets a process group of
// its own (`detached`), so a Ctrl-C (sent by the terminal to the whole foreground group) reaches it once, forwarded from
// here, instead of twice — a second signal would cut its graceful stop short.
function start(entry) {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, env, stdio: 'inherit', detached: true });
  running.add(child);
  child.on('exit', () => running.delete(child));
  return child;
}
const exited = (child) => new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

async function finish(code) {
  await backends.stop();
  process.exit(code);
}

const migration = await exited(start('scripts/migrate.ts'));
if (stopping || migration.code !== 0) await finish(migration.code ?? 1);

const processes = [
  ['api', 'apps/api/src/server.ts'],
  ['worker', 'apps/worker/src/main.ts'],
].map(([name, entry]) => ({ name, child: start(entry) }));

let remaining = processes.length;
for (const { name, child } of processes) {
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`punctual ${name} exited (${signal ?? `code ${code}`}); stopping the rest`);
    stopAll('SIGTERM');
    process.exitCode ||= code ?? 1;
    if (--remaining === 0) void finish(process.exitCode);
  });
}
