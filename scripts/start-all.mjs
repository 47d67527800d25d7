// `pnpm start`: the API and one worker on one machine (migrations have run just before).
// Forwards SIGINT/SIGTERM to both and exits when either stops, with its exit code.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// `node --import tsx` rather than the tsx CLI: the process that gets the signal is the one that handles it, so a
// graceful stop ends with the entry's own exit code (0), not a re-raised signal. Each child gets a process group of
// its own (`detached`), so a Ctrl-C (sent by the terminal to the whole foreground group) reaches it once, forwarded from
// here, instead of twice — a second signal would cut its graceful stop short.
const processes = [
  ['api', 'apps/api/src/server.ts'],
  ['worker', 'apps/worker/src/main.ts'],
].map(([name, entry]) => ({
  name,
  child: spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, stdio: 'inherit', detached: true }),
}));

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
