// `pnpm start`: the API and one worker on one machine (migrations have run just before).
// Forwards SIGINT/SIGTERM to both and exits when either stops, with its exit code.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const processes = [
  ['api', 'apps/api/src/server.ts'],
  ['worker', 'apps/worker/src/main.ts'],
].map(([name, entry]) => ({ name, child: spawn(tsx, [entry], { cwd: root, stdio: 'inherit' }) }));

let stopping = false;
function stopAll(signal) {
  if (stopping) return;
  stopping = true;
  for (const { child } of processes) if (child.exitCode === null) child.kill(signal);
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll(signal));

let remaining = processes.length;
for (const { name, child } of processes) {
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`punctual ${name} exited (${signal ?? `code ${code}`}); stopping the rest`);
    stopAll('SIGTERM');
    process.exitCode ||= code ?? 1;
    if (--remaining === 0) process.exit();
  });
}
