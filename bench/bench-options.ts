/** Sizes and durations of `pnpm bench`, and the servers it runs against. */
export interface BenchOptions {
  /** Server URL; the bench creates (and drops) a database of its own on it. */
  databaseUrl: string;
  redisUrl: string;
  /** Seconds of `POST /api/v1/tasks` under load (scenario 1). */
  createSeconds: number;
  /** Seconds of each read route under load (scenario 2). */
  readSeconds: number;
  /** Concurrent connections of the API load (scenarios 1 and 2). */
  connections: number;
  /** Tasks all due at one instant (scenario 3). */
  burstTasks: number;
  /** Tasks due at an even pace, below capacity (scenario 3b), over `steadySeconds`. */
  steadyTasks: number;
  steadySeconds: number;
  workers: number;
  workerConcurrency: number;
  /** Tasks inserted before timing the list queries (scenario 5). */
  seedTasks: number;
  seedUsers: number;
  /** Timed requests per list query (scenario 5). */
  querySamples: number;
}

/** Reads BENCH_* (and DATABASE_URL, REDIS_URL) once; every other bench module takes values. */
export function readBenchOptions(env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const int = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
    return value;
  };
  return {
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    createSeconds: int('BENCH_CREATE_SECONDS', 15, 1),
    readSeconds: int('BENCH_READ_SECONDS', 10, 1),
    connections: int('BENCH_CONNECTIONS', 20, 1),
    burstTasks: int('BENCH_TASKS', 5_000, 1),
    steadyTasks: int('BENCH_STEADY_TASKS', 1_000, 1),
    steadySeconds: int('BENCH_STEADY_SECONDS', 10, 1),
    workers: int('BENCH_WORKERS', 2, 1),
    workerConcurrency: int('BENCH_WORKER_CONCURRENCY', 50, 1),
    seedTasks: int('BENCH_SEED_TASKS', 100_000, 0),
    seedUsers: int('BENCH_SEED_USERS', 50, 1),
    querySamples: int('BENCH_QUERY_SAMPLES', 50, 1),
  };
}
