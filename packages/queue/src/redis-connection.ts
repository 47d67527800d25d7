import { Redis, type RedisOptions } from 'ioredis';

export type { Redis };

/** Raised when Redis does not answer at start; its message is one line an operator can act on. */
export class RedisUnavailableError extends Error {
  constructor(redisUrl: string, cause: unknown) {
    const reason = (cause instanceof Error ? cause.message : String(cause)).replace(/\.$/, '');
    super(
      `Redis is not answering at ${describeRedis(redisUrl)} (REDIS_URL): ${reason}. ` +
        'Start it (`redis-server --daemonize yes --bind 127.0.0.1 --port 6379`, or `docker compose up -d redis`) or set REDIS_URL.',
      { cause },
    );
    this.name = 'RedisUnavailableError';
  }
}

/**
 * An ioredis client for BullMQ. `blocking` clients (workers) must retry forever (`maxRetriesPerRequest: null`);
 * clients that serve API requests fail fast instead of hanging a request while Redis is away.
 */
export function createRedisConnection(redisUrl: string, options: { blocking?: boolean } & RedisOptions = {}): Redis {
  const { blocking = false, ...rest } = options;
  const redis = new Redis(redisUrl, {
    maxRetriesPerRequest: blocking ? null : 1,
    enableOfflineQueue: blocking,
    ...rest,
  });
  // Connection errors are retried by ioredis and surfaced by health checks; an unhandled 'error' would crash us.
  redis.on('error', () => {});
  return redis;
}

/**
 * Resolves true once the client is ready (at once if it already is), false after `timeoutMs` without it. A fail-fast
 * client (`enableOfflineQueue: false`) refuses every command until then, so a process waits for this before serving.
 */
export async function waitForRedisReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  return new Promise((resolve) => {
    const finish = (ready: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => finish(true);
    const timer = setTimeout(() => finish(false), timeoutMs);
    redis.on('ready', onReady);
  });
}

/**
 * Runs `use` on a short-lived connection that gives up at once when nothing answers (no reconnects, no queued
 * commands; `timeoutMs` bounds the connect and each command), then closes it. For probes and one-off admin commands.
 */
export async function withRedis<T>(redisUrl: string, use: (redis: Redis) => Promise<T>, timeoutMs = 3_000): Promise<T> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  // connect() rejects with a bare "Connection is closed."; the 'error' event has the reason (ECONNREFUSED, ENOTFOUND, ...).
  let connectionError: unknown;
  redis.on('error', (error) => {
    connectionError ??= error;
  });
  // connectTimeout ends at the TCP handshake, and a client cut off during its ready check takes seconds to close:
  // a server that accepts and then stays silent is given up on here.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const connected = redis.connect().catch((error: unknown) => {
    throw connectionError ?? error;
  });
  try {
    await Promise.race([connected, deadline]).finally(() => clearTimeout(timer));
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** PINGs Redis once, turning a failure into RedisUnavailableError. */
export async function assertRedisReachable(redisUrl: string, timeoutMs = 3_000): Promise<void> {
  try {
    await withRedis(redisUrl, (redis) => redis.ping(), timeoutMs);
  } catch (error) {
    throw new RedisUnavailableError(redisUrl, error);
  }
}

/** Whether Redis answers PING at that URL within `timeoutMs`. */
export async function redisAnswers(redisUrl: string, timeoutMs = 3_000): Promise<boolean> {
  return assertRedisReachable(redisUrl, timeoutMs).then(
    () => true,
    () => false,
  );
}

function describeRedis(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '6379'}`;
  } catch {
    return 'an unparseable address';
  }
}

/**
 * A warning when Redis may evict keys under memory pressure (any `maxmemory-policy` but `noeviction`): an evicted
 * job is repaired by the reconciler, but only after a delay. Null when the policy is right or cannot be read
 * (managed Redis services often disable CONFIG).
 */
export async function evictionPolicyWarning(redis: Redis): Promise<string | null> {
  try {
    const reply = await redis.config('GET', 'maxmemory-policy');
    const policy = reply[1];
    if (policy === undefined || policy === 'noeviction') return null;
    return `Redis maxmemory-policy is "${policy}": it may evict queued jobs under memory pressure (the reconciler puts them back, late). Set maxmemory-policy noeviction.`;
  } catch {
    return null;
  }
}
