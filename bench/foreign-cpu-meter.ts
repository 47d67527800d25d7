import { readdir, readFile } from 'node:fs/promises';

/** Linux reports process CPU time in USER_HZ ticks, 100 a second on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;
/** Shared by the bench and anything else that uses them, so not attributable: left out. */
const SHARED_SERVERS = new Set(['postgres', 'redis-server']);

export interface ForeignCpu {
  /** CPUs' worth of time other programs used, on average over the run (1 = one whole core). */
  averageCores: number;
  seconds: number;
}

/**
 * Measures the CPU time of processes that are not the bench's (nor Postgres or Redis) while it runs, from
 * `/proc/<pid>/stat` once a second: on a shared machine, what competed with the numbers. Processes that live less
 * than a second between two samples are missed, so it is a lower bound. Reads nothing, and reports 0, off Linux.
 */
export function startForeignCpuMeter(isOwn: (pid: number) => boolean): { stop(): Promise<ForeignCpu> } {
  const startedAt = Date.now();
  const lastTicks = new Map<number, number>();
  let foreignTicks = 0;
  let first = true;

  const sample = async (): Promise<void> => {
    const pids = (await readdir('/proc').catch(() => [])).filter((name) => /^\d+$/.test(name)).map(Number);
    const seen = new Set<number>();
    await Promise.all(
      pids.map(async (pid) => {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
        if (stat === null) return;
        // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after its last ')'.
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ticks = Number(fields[11]) + Number(fields[12]);
        seen.add(pid);
        const previous = lastTicks.get(pid);
        lastTicks.set(pid, ticks);
        if (SHARED_SERVERS.has(comm) || isOwn(pid)) return;
        // A process first seen after the start used all of its time during the run.
        if (!first) foreignTicks += ticks - (previous ?? 0);
      }),
    );
    for (const pid of lastTicks.keys()) if (!seen.has(pid)) lastTicks.delete(pid);
    first = false;
  };

  let running = sample();
  const timer = setInterval(() => {
    running = running.then(sample);
  }, 1_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await sample();
      const seconds = (Date.now() - startedAt) / 1_000;
      return { averageCores: foreignTicks / TICKS_PER_SECOND / seconds, seconds };
    },
  };
}
