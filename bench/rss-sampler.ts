import { readFile } from 'node:fs/promises';

/** Resident memory of processes over time, read from `/proc/<pid>/status` (Linux). */
export interface RssSampler {
  /** The resident set of `pid` now, in MiB; null when it cannot be read (gone, or not Linux). */
  read(pid: number): Promise<number | null>;
  /** The highest sample of `pid` taken between `from` and `to` (epoch ms), in MiB. */
  peak(pid: number, from: number, to?: number): number | null;
  stop(): void;
}

/** Samples every `intervalMs` until stopped. */
export function startRssSampler(pids: readonly number[], intervalMs = 200): RssSampler {
  const samples = new Map<number, { at: number; mib: number }[]>(pids.map((pid) => [pid, []]));
  const read = async (pid: number): Promise<number | null> => {
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
      return kib === undefined ? null : Number(kib) / 1024;
    } catch {
      return null;
    }
  };
  const timer = setInterval(() => {
    for (const pid of pids) {
      void read(pid).then((mib) => {
        if (mib !== null) samples.get(pid)!.push({ at: Date.now(), mib });
      });
    }
  }, intervalMs);
  timer.unref();
  return {
    read,
    peak(pid, from, to = Date.now()) {
      const window = (samples.get(pid) ?? []).filter((sample) => sample.at >= from && sample.at <= to);
      return window.length === 0 ? null : Math.max(...window.map((sample) => sample.mib));
    },
    stop: () => clearInterval(timer),
  };
}
