// `pnpm start`: the backends (the configured servers, or the embedded Postgres of the single-machine mode), the
// migrations, then the API and one worker on one machine, compiled (`pnpm build` has run just before).
// `pnpm dev` (`--dev`): the same from the TypeScript sources, each restarted when a file it loaded changes,
// with NODE_ENV=development.
// Forwards SIGINT/SIGTERM to its children and exits when either stops, with its exit code; an embedded Postgres is
// stopped last, after them. A stop signal after the repeat window kills the children (SIGKILL to their process groups).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readEnvironment } from '@punctual/config';
import { startBackends } from '@punctual/embedded';
import { NODE_FLAGS, onStopSignals } from '@punctual/process';

const root = fileURLToPath(new URL('..', import.meta.url));
const dev = process.argv.includes('--dev');
// Plain `node` on the compiled output; in development `node --watch` with tsx loading the sources (`source` is the
// export condition that maps each @punctual/* package to its src/). Either way Node itself runs the entry (no runner
// in between), so the process that gets the signal is the one that handles it and its exit code is the entry's own.
// Compiled, with the production flags (NODE_FLAGS: a smaller young generation, see @punctual/process).
const nodeArgs = dev ? ['--conditions=source', '--import', 'tsx'] : [...NODE_FLAGS];
const entry = (app, name) => (dev ? `apps/${app}/src/${name}.ts` : `apps/${app}/dist/${name}.js`);

let stopping = false;
const running = new Set();
function stopAll(signal) {
  stopping = true;
  for (const child of running) if (child.exitCode === null) child.kill(signal);
}
// A forced stop kills each child's whole process group (in development, `node --watch` and the process it runs):
// forwarding the signal again would leave each child to judge it, and one that got the first signal later than we
// did would still take it for a repeat and keep on closing.
function killAll() {
  stopping = true;
  for (const child of running) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    console.error(`punctual: forcing the stop: SIGKILL to ${child.spawnargs.at(-1)} (process group ${child.pid})`);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }
}
// The first signal stops everything; repeats within a few seconds (pnpm relays the terminal's) are the same request;
// one after that forces: the children are killed.
onStopSignals({ logger: console, onStop: stopAll, onForce: killAll });

// What to run against is decided here, once, and passed to every process (see @punctual/embedded's startBackends).
let backends;
try {
  backends = await startBackends(readEnvironment(`${root}.env`));
} catch (error) {
  console.error(`punctual: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
if (backends.announcement) console.log(backends.announcement);
const env = { ...process.env, ...(dev ? { NODE_ENV: 'development' } : {}), ...backends.env };

// Each child gets a process group of its own (`detached`), so a Ctrl-C (sent by the terminal to the whole foreground
// group) reaches it once, forwarded from here.
function start(file, args = nodeArgs) {
  const child = spawn(process.execPath, [...args, file], { cwd: root, env, stdio: 'inherit', detached: true });
  running.add(child);
  child.on('exit', () => running.delete(child));
  return child;
}

async function finish(code) {
  await backends.stop();
  process.exit(code);
}

// Migrations run here, not before: the embedded Postgres is up only now.
const migration = await new Promise((resolve) => start(entry('api', 'migrate')).once('exit', (code) => resolve(code)));
if (stopping || migration !== 0) await finish(migration ?? 1);

const processes = [
  ['api', entry('api', 'server')],
  ['worker', entry('worker', 'main')],
].map(([name, file]) => ({ name, child: start(file, dev ? ['--watch', ...nodeArgs] : nodeArgs) }));

let remaining = processes.length;
for (const { name, child } of processes) {
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`punctual ${name} exited (${signal ?? `code ${code}`}); stopping the rest`);
      stopAll('SIGTERM');
    }
    process.exitCode ||= code ?? 1;
    if (--remaining === 0) void finish(process.exitCode);
  });
}
