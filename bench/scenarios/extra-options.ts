import type { BenchSize } from '../scenario.js';

/**
 * How long an API or worker may take to get ready (the default is 45 s): on two cores shared with other work, a
 * Node process loading its modules has been seen to take longer.
 */
export const READY = { readyTimeoutMs: 180_000 } as const;

/** Sizes of the extra scenarios (lone, million, memory, embedded, scaling): each a BENCH_* variable, else by size. */
export interface ExtraOptions {
  /** Lone delayed tasks timed one after another (lone, and embedded's lateness). */
  loneSamples: number;
  /** Pending tasks seeded for the million scenario, and the users they are spread over. */
  millionTasks: number;
  millionUsers: number;
  /** Seconds of each read route under load in the million scenario, and its connections. */
  millionReadSeconds: number;
  millionReadConnections: number;
  /** Seeding (rows, jobs, vacuum) longer than this stops the million scenario. */
  millionSeedTimeoutSeconds: number;
  /** How long the memory scenario's worker calls the 5 MB target. */
  memorySeconds: number;
  memoryConcurrency: number;
  /** Bytes of each of the memory scenario's target responses. */
  memoryResponseBytes: number;
  /** Due tasks drained by the embedded scenario's one worker. */
  embeddedTasks: number;
  /** Due tasks drained by each run of the scaling scenario, and the worker processes of its runs. */
  scalingTasks: number;
  scalingWorkers: number[];
}

const DEFAULTS: Record<BenchSize, ExtraOptions> = {
  full: {
    loneSamples: 100,
    millionTasks: 1_000_000,
    millionUsers: 10,
    millionReadSeconds: 10,
    millionReadConnections: 4,
    millionSeedTimeoutSeconds: 900,
    memorySeconds: 600,
    memoryConcurrency: 100,
    memoryResponseBytes: 5_000_000,
    embeddedTasks: 5_000,
    scalingTasks: 10_000,
    scalingWorkers: [1, 2, 4],
  },
  tiny: {
    loneSamples: 3,
    millionTasks: 2_000,
    millionUsers: 2,
    millionReadSeconds: 1,
    millionReadConnections: 2,
    millionSeedTimeoutSeconds: 60,
    memorySeconds: 3,
    memoryConcurrency: 10,
    memoryResponseBytes: 5_000_000,
    embeddedTasks: 100,
    scalingTasks: 200,
    scalingWorkers: [1, 2],
  },
};

/** Reads the BENCH_* variables of the extra scenarios once; unset ones take the size's defaults. */
export function readExtraOptions(size: BenchSize, env: NodeJS.ProcessEnv = process.env): ExtraOptions {
  const defaults = DEFAULTS[size];
  const int = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
    return value;
  };
  const ints = (name: string, fallback: number[]): number[] => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const values = raw.split(',').map((part) => Number(part.trim()));
    if (values.some((value) => !Number.isInteger(value) || value < 1))
      throw new Error(`${name} must be positive integers separated by commas, got "${raw}"`);
    return values;
  };
  return {
    loneSamples: int('BENCH_LONE_SAMPLES', defaults.loneSamples),
    millionTasks: int('BENCH_MILLION_TASKS', defaults.millionTasks),
    millionUsers: int('BENCH_MILLION_USERS', defaults.millionUsers),
    millionReadSeconds: int('BENCH_MILLION_READ_SECONDS', defaults.millionReadSeconds),
    millionReadConnections: int('BENCH_MILLION_READ_CONNECTIONS', defaults.millionReadConnections),
    millionSeedTimeoutSeconds: int('BENCH_MILLION_SEED_TIMEOUT_SECONDS', defaults.millionSeedTimeoutSeconds),
    memorySeconds: int('BENCH_MEMORY_SECONDS', defaults.memorySeconds),
    memoryConcurrency: int('BENCH_MEMORY_CONCURRENCY', defaults.memoryConcurrency),
    memoryResponseBytes: int('BENCH_MEMORY_RESPONSE_BYTES', defaults.memoryResponseBytes),
    embeddedTasks: int('BENCH_EMBEDDED_TASKS', defaults.embeddedTasks),
    scalingTasks: int('BENCH_SCALING_TASKS', defaults.scalingTasks),
    scalingWorkers: ints('BENCH_SCALING_WORKERS', defaults.scalingWorkers),
  };
}
