import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * Runs `script` (`sh -c`, with `args` as $1, $2, …) once this process is gone, however it goes: exit hooks and
 * `stop()` methods do not run when a signal ends it (a SIGKILL, or vitest ending its workers with SIGTERM, then
 * SIGKILL). A detached shell named `name` waits for EOF on a pipe only this process holds open, which the kernel
 * closes when it dies. Returns the function that dismisses the watchdog without running the script.
 */
export function runWhenGone(script: string, args: string[], name = 'watchdog'): () => void {
  const watchdog = spawn('sh', ['-c', `cat >/dev/null; ${script}`, name, ...args], {
    cwd: '/',
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.on('error', () => {});
  // Neither the watchdog nor its pipe may keep this process alive.
  watchdog.unref();
  (watchdog.stdin as Socket).unref();
  let dismissed = false;
  return () => {
    if (dismissed || watchdog.pid === undefined) return;
    dismissed = true;
    sendSignal(-watchdog.pid, 'SIGKILL');
  };
}

/** `process.kill(pid, name)`, where a process (or group, for a negative pid) that is already gone is not an error. */
export function sendSignal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}
