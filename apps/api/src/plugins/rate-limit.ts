import fastifyRateLimit, { normalizeIP, type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { RateLimitedError } from '@punctual/core';
import { ErrorResponse, RefTo } from '@punctual/contract';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RateLimitCounter } from '@punctual/queue';

export interface RateLimitOptions {
  /** The queue backend's counters (Redis keys or a Postgres table), namespaced by QUEUE_PREFIX; they time out fast. */
  counter: RateLimitCounter;
  /** Requests per minute per user, on every route that authenticates. */
  perUser: number;
  /** Requests per minute per client IP, on the routes without a user (register, login). */
  perClientIp: number;
}

export const RATE_LIMIT_WINDOW_MS = 60_000;

/** The counter key of a request without a user: its client IP (the Bull Board's password checks count under it too). */
export function clientIpKey(request: FastifyRequest): string {
  return `ip:${normalizeIP(request.ip)}`;
}

/**
 * Limits every route registered after it in this scope: per user once authenticated, per client IP otherwise. Counted
 * in the queue backend's store, so every API replica shares one count. Over the limit: 429 in the contract's shape with
 * `Retry-After`. While the store is away requests are not counted (skipOnError) rather than refused: the API keeps
 * accepting tasks.
 * The client IP is `request.ip`, which believes X-Forwarded-For only from the proxies TRUST_PROXY names.
 */
export async function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  // Every limited route may answer 429: the OpenAPI document says so without each route listing it.
  app.addHook('onRoute', (route) => {
    const response = route.schema?.response as Record<number, unknown> | undefined;
    if (response && response[429] === undefined) {
      response[429] = RefTo(ErrorResponse, { description: 'too many requests (see Retry-After)' });
    }
  });
  const userOf = (request: FastifyRequest): string | undefined => (request.actor as FastifyRequest['actor'] | null)?.userId;
  await app.register(fastifyRateLimit, {
    store: counterStore(options.counter),
    timeWindow: RATE_LIMIT_WINDOW_MS,
    // After authentication (onRequest hooks) and before the body is read, so a user's refused bodies count too.
    hook: 'preParsing',
    keyGenerator: (request) => {
      const userId = userOf(request);
      return userId === undefined ? clientIpKey(request) : `user:${userId}`;
    },
    max: (request) => (userOf(request) === undefined ? options.perClientIp : options.perUser),
    skipOnError: true,
    errorResponseBuilder: (_request, context) => new RateLimitedError(context.max, context.after),
  });
}

/** @fastify/rate-limit's store contract over a counter: one fixed window per key (and per route, for a route's own limit). */
function counterStore(counter: RateLimitCounter): FastifyRateLimitStoreCtor {
  return class CounterStore implements FastifyRateLimitStore {
    // The plugin constructs the store with its options, which a counter has no use for.
    constructor(
      _options: unknown,
      private readonly keyPrefix = '',
    ) {}
    incr(key: string, callback: Parameters<FastifyRateLimitStore['incr']>[1], timeWindow: number): void {
      counter.increment(`${this.keyPrefix}${key}`, timeWindow).then(
        (result) => callback(null, { current: result.current, ttl: result.ttlMs }),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    }
    child(route: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      return new CounterStore(undefined, `${this.keyPrefix}${String(route.method)}${route.url}-`);
    }
  };
}
