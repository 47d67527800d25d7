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

/** PINGs Redis once with a short timeout, turning a failure into RedisUnavailableError. */
export async function assertRedisReachable(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3_000,
  });
  // connect() rejects with a bare "Connection is closed."; the 'error' event has the reason (ECONNREFUSED, ENOTFOUND, ...).
  let connectionError: unknown;
  redis.on('error', (error) => {
    connectionError = error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new RedisUnavailableError(redisUrl, connectionError ?? error);
  } finally {
    redis.disconnect();
  }
}

function describeRedis(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '6379'}`;
  } catch {
    return 'an unparseable address';
  }
}
