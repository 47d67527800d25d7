import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresAnswers } from '@punctual/db';
import { startEmbeddedPostgres } from '@punctual/embedded';
import { redisAnswers } from '@punctual/queue';
import { startRedisServer } from './server-processes.js';
import { withDatabase } from './service-probe.js';

/** The Postgres and Redis a test run uses, and how to stop what was started for it. */
export interface TestServices {
  /** A URL of the Postgres server (its `postgres` database or the one configured). */
  databaseUrl: string;
  redisUrl: string;
  /** What was started for this run, e.g. `['embedded Postgres', 'redis-server']`; empty when both answered. */
  started: string[];
  /** Stops what was started, in reverse order. */
  stop(): Promise<void>;
}

export interface TestServicesOptions {
  databaseUrl: string;
  redisUrl: string;
  /** Whether a container runtime may start what is missing; default: whether testcontainers finds one. */
  containers?: boolean;
  /** Whether a local `redis-server` may be started; default: whether one is on the PATH. */
  redisServer?: boolean;
}

/** Thrown when a service is missing and nothing here can start it; the message is one line saying how to get it. */
export class MissingTestServiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingTestServiceError';
  }
}

/**
 * Finds the Postgres and Redis for a test run, starting what does not answer with what the machine has:
 * 1. the servers at `databaseUrl` / `redisUrl` when they answer;
 * 2. else containers (testcontainers), when a container runtime (Docker) is available;
 * 3. else, for Postgres, an embedded one in a temporary directory (its binaries come with `@punctual/embedded`), and
 *    for Redis, a `redis-server` binary when one is installed;
 * 4. else it throws `MissingTestServiceError`, saying in one line what is missing and how to get it.
 */
export async function findTestServices(options: TestServicesOptions): Promise<TestServices> {
  const stops: Array<() => Promise<unknown>> = [];
  const started: string[] = [];
  const stop = async (): Promise<void> => {
    for (const stopOne of stops.splice(0).reverse()) await stopOne();
  };
  /** A service this call started: stopped with the others (last first) and named in `started`. */
  const adopt = <S extends { stop(): Promise<unknown> }>(name: string, service: S): S => {
    stops.push(() => service.stop());
    started.push(name);
    return service;
  };
  let { databaseUrl, redisUrl } = options;
  let containers: Promise<boolean> | undefined;
  const containersAvailable = (): Promise<boolean> =>
    (containers ??= options.containers !== undefined ? Promise.resolve(options.containers) : containerRuntimeAvailable());

  try {
    // The server's own `postgres` database: the one in the URL may not exist yet.
    const [postgresUp, redisUp] = await Promise.all([
      postgresAnswers(withDatabase(databaseUrl, 'postgres'), 2_000),
      redisAnswers(redisUrl, 2_000),
    ]);
    if (!postgresUp) {
      if (await containersAvailable()) {
        const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
        databaseUrl = adopt('Postgres container', await new PostgreSqlContainer('postgres:16-alpine').start()).getConnectionUri();
      } else {
        const dataDir = await mkdtemp(join(tmpdir(), 'punctual-test-postgres-'));
        stops.push(() => rm(dataDir, { recursive: true, force: true }));
        databaseUrl = adopt('embedded Postgres', await startEmbeddedPostgres({ dataDir, durable: false, database: 'postgres' })).url;
      }
    }
    if (!redisUp) {
      if (await containersAvailable()) {
        const { RedisContainer } = await import('@testcontainers/redis');
        redisUrl = adopt('Redis container', await new RedisContainer('redis:7-alpine').start()).getConnectionUrl();
      } else if (options.redisServer ?? redisServerInstalled()) {
        redisUrl = adopt('redis-server', await startRedisServer()).url;
      } else {
        throw new MissingTestServiceError(
          `the tests need Redis: nothing answers at ${hostOf(options.redisUrl)}, no container runtime (Docker) is available, ` +
            'and no redis-server is installed; install one (apt-get install redis-server, brew install redis), start Docker, or set REDIS_URL',
        );
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { databaseUrl, redisUrl, started, stop };
}

/** Whether testcontainers finds a container runtime (Docker, Podman, …), as it would when starting one. */
async function containerRuntimeAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** `host:port` of a URL, without credentials. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'its address';
  }
}
