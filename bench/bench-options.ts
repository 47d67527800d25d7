/** The servers `pnpm bench` runs against; each scenario run creates (and drops) a database and queue prefix of its own there. */
export interface BenchOptions {
  /** Server URL (its database part is ignored). */
  databaseUrl: string;
  redisUrl: string;
}

/** Reads DATABASE_URL and REDIS_URL once; every other bench module takes values. */
export function readBenchOptions(env: NodeJS.ProcessEnv = process.env): BenchOptions {
  return {
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}
