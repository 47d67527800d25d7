// `pnpm start`: the API and one worker on one machine, compiled (`pnpm build` and `pnpm migrate` have run just before).
// `pnpm dev` (`--dev`): the same from the TypeScript sources, each restarted when a file it loaded changes,
// with NODE_ENV=development.
// Forwards SIGINT/SIGTERM to both and exits when either stops, with its exit code.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onStopSignals } from '@punctual/process';

const root = fileURLToPath(new URL('..', import.meta.url));
const dev = process.argv.includes('--dev');
// Plain `node` on the compiled output; in development `node --watch` with tsx loading the sources (`source` is the
// export condition that maps each @punctual/* package to its src/). Either way Node itself runs the entry (no runner
// in between), so the process that gets the signal is the one that handles it and its exit code is the entry's own.
const nodeArgs = dev ? ['--watch', '--conditions=source', '--import', 'tsx'] : [];
const env = dev ? { ...process.env, NODE_ENV: 'development' } : process.env;
// Each child gets a process group of its own (`detached`), so a Ctrl-C (sent by the terminal to the whole foreground
// group) reaches it once, forwarded from here.
const processes = [
  ['api', dev ? 'apps/api/src/server.ts' : 'apps/api/dist/server.js'],
  ['worker', dev ? 'apps/worker/src/main.ts' : 'apps/worker/dist/main.js'],
].map(([name, entry]) => ({
  name,
  child: spawn(process.execPath, [...nodeArgs, entry], { cwd: root, env, stdio: 'inherit', detached: true }),
}));

let stopping = false;
function stopAll(signal) {
  stopping = true;
  for (const { child } of processes) if (child.exitCode === null) child.kill(signal);
}
// The first signal stops both; repeats within a few seconds (pnpm relays the terminal's) are the same request; one
// after that is forwarded again, and forces them.
onStopSignals({ logger: console, onStop: stopAll, onForce: stopAll });

let remaining = processes.length;
for (const { name, child } of processes) {
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`punctual ${name} exited (${signal ?? `code ${code}`}); stopping the rest`);
      stopAll('SIGTERM');
    }
    process.exitCode ||= code ?? 1;
    if (--remaining === 0) process.exit();
  });
}
