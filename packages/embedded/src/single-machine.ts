import { connect } from 'node:net';
import { loadConfig } from '@punctual/config';
import { EmbeddedPostgresError } from './embedded-postgres-error.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

/** What `pnpm start` runs its processes against. */
export type BackendChoice =
  /** The environment as it is: DATABASE_URL/REDIS_URL (or their defaults) name servers the processes connect to. */
  | { embedded: false }
  /** An embedded Postgres under DATA_DIR; `reason` is the first half of the line `pnpm start` prints. */
  | { embedded: true; reason: string };

/** The servers whose defaults `pnpm start` probes when no URL is configured. */
export const DEFAULT_POSTGRES = { host: '127.0.0.1', port: 5432 } as const;
export const DEFAULT_REDIS = { host: '127.0.0.1', port: 6379 } as const;

export interface ChooseOptions {
  /** Where to look for servers when no URL is configured (defaults: `DEFAULT_POSTGRES`, `DEFAULT_REDIS`). */
  postgres?: { host: string; port: number };
  redis?: { host: string; port: number };
}

/**
 * Decides what `pnpm start` runs against, from the variables (`.env` and the environment) alone plus, when nothing is
 * configured, whether anything answers at the default addresses; the processes it starts are then told, never left
 * to guess:
 *
 * - `EMBEDDED=true`: the embedded Postgres. `EMBEDDED=false`: the configured servers, whatever answers.
 * - `EMBEDDED` unset and `DATABASE_URL` or `REDIS_URL` set: the configured servers.
 * - Nothing set: the servers at the defaults when they answer (Redis only matters for `QUEUE_BACKEND=redis`, the
 *   default); the embedded Postgres when none does. When only one of the two answers, it stops with one line: that
 *   looks like a server setup with one server down, which an embedded Postgres would not fix but hide.
 *
 * Throws `EmbeddedPostgresError` (one line) for a refused combination, `ConfigError` for an invalid variable.
 */
export async function chooseBackends(source: Record<string, string | undefined>, options: ChooseOptions = {}): Promise<BackendChoice> {
  const config = loadConfig(source);
  const isSet = (name: string): boolean => (source[name] ?? '') !== '';
  if (config.embedded) {
    if (isSet('DATABASE_URL')) {
      throw new EmbeddedPostgresError(
        'EMBEDDED=true runs its own Postgres, but DATABASE_URL is set too: unset one of them (EMBEDDED=false uses DATABASE_URL)',
      );
    }
    return { embedded: true, reason: 'EMBEDDED=true' };
  }
  if (isSet('EMBEDDED') || isSet('DATABASE_URL') || isSet('REDIS_URL')) return { embedded: false };

  const postgres = options.postgres ?? DEFAULT_POSTGRES;
  const redis = options.redis ?? DEFAULT_REDIS;
  const needsRedis = config.queueBackend === 'redis';
  const [postgresAnswers, redisAnswers] = await Promise.all([
    answers(postgres.host, postgres.port),
    needsRedis ? answers(redis.host, redis.port) : Promise.resolve(false),
  ]);
  const postgresAt = `${postgres.host}:${postgres.port}`;
  const redisAt = `${redis.host}:${redis.port}`;
  if (postgresAnswers && (redisAnswers || !needsRedis)) return { embedded: false };
  if (!postgresAnswers && !redisAnswers) {
    const looked = needsRedis
      ? `nothing answers at ${postgresAt} (Postgres) or ${redisAt} (Redis)`
      : `nothing answers at ${postgresAt} (Postgres)`;
    return { embedded: true, reason: `no DATABASE_URL or REDIS_URL, and ${looked}` };
  }
  const [up, down] = postgresAnswers
    ? [`Postgres answers at ${postgresAt}`, `Redis does not at ${redisAt}`]
    : [`Redis answers at ${redisAt}`, `Postgres does not at ${postgresAt}`];
  throw new EmbeddedPostgresError(
    `${up} but ${down}: start it (\`docker compose up -d postgres redis\`), set DATABASE_URL/REDIS_URL, ` +
      'or run the single-machine mode with EMBEDDED=true',
  );
}

/** The backends `pnpm start` runs its processes against, started. */
export interface Backends {
  /** Variables to add to the environment of migrate, the API and the worker (none when the servers are configured). */
  env: Record<string, string>;
  /** The one line to print, or null when nothing was started. */
  announcement: string | null;
  /** Stops what was started (the embedded Postgres), after the processes using it have stopped. */
  stop(): Promise<void>;
}

/**
 * Chooses (see `chooseBackends`) and, for the single-machine mode, starts the embedded Postgres under DATA_DIR and
 * returns what migrate, the API and the worker must be told: its DATABASE_URL, EMBEDDED=true and QUEUE_BACKEND
 * (`postgres` unless set).
 */
export async function startBackends(source: Record<string, string | undefined>, options: ChooseOptions = {}): Promise<Backends> {
  const choice = await chooseBackends(source, options);
  if (!choice.embedded) return { env: {}, announcement: null, stop: () => Promise.resolve() };
  // QUEUE_BACKEND as the processes will read it beside EMBEDDED=true: postgres unless set.
  const { dataDir, queueBackend } = loadConfig({ ...source, EMBEDDED: 'true' });
  const startedAt = Date.now();
  const postgres = await startEmbeddedPostgres({ dataDir });
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  const user = postgres.osUser ? `, as OS user ${postgres.osUser.name}${postgres.osUser.created ? ' (created now)' : ''}` : '';
  const announcement =
    `punctual: ${choice.reason}: single-machine mode, an embedded Postgres ` +
    `(${postgres.created ? 'created' : 'data'} in ${postgres.dataDir}, ${postgres.displayUrl}${user}, ${seconds} s) ` +
    `and QUEUE_BACKEND=${queueBackend}`;
  return {
    env: { EMBEDDED: 'true', DATA_DIR: postgres.dataDir, DATABASE_URL: postgres.url, QUEUE_BACKEND: queueBackend },
    announcement,
    stop: () => postgres.stop(),
  };
}

/** Whether something accepts a TCP connection at host:port within `timeoutMs`. */
function answers(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (result: boolean): void => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
