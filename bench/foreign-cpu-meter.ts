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
 * Measures the CPU time of processes other than the bench, its ancestors and its descendants (the API and workers),
 * and other than Postgres and Redis, from `/proc/<pid>/stat` once a second while it runs: on a shared machine, what
 * competed with the numbers. A process that lives less than a second between two samples is missed, so it is a lower
 * bound. Reports 0 off Linux.
 */
export function startForeignCpuMeter(): { stop(): Promise<ForeignCpu> } {
  const startedAt = Date.now();
  const lastTicks = new Map<number, number>();
  let ancestors: Set<number> | null = null;
  let foreignTicks = 0;
  let first = true;

  const sample = async (): Promise<void> => {
    const names = (await readdir('/proc').catch(() => [])).filter((name) => /^\d+$/.test(name));
    const stats = (await Promise.all(names.map((name) => readStat(Number(name))))).filter((stat) => stat !== null);
    const parentOf = new Map(stats.map((stat) => [stat.pid, stat.ppid]));
    if (ancestors === null) {
      ancestors = new Set();
      for (let pid = process.ppid; pid > 0 && !ancestors.has(pid); pid = parentOf.get(pid) ?? 0) ancestors.add(pid);
    }
    const isOwn = (pid: number): boolean => {
      for (let current = pid; current > 0; current = parentOf.get(current) ?? 0) if (current === process.pid) return true;
      return ancestors!.has(pid);
    };
    const seen = new Set<number>();
    for (const stat of stats) {
      seen.add(stat.pid);
      const previous = lastTicks.get(stat.pid);
      lastTicks.set(stat.pid, stat.ticks);
      if (first || SHARED_SERVERS.has(stat.comm) || isOwn(stat.pid)) continue;
      // A process first seen after the start used all of its time during the run.
      foreignTicks += stat.ticks - (previous ?? 0);
    }
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

async function readStat(pid: number): Promise<{ pid: number; ppid: number; comm: string; ticks: number } | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return null;
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after its last ')'.
  const end = stat.lastIndexOf(')');
  const fields = stat.slice(end + 2).split(' ');
  return { pid, ppid: Number(fields[1]), comm: stat.slice(stat.indexOf('(') + 1, end), ticks: Number(fields[11]) + Number(fields[12]) };
}
