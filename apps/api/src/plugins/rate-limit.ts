import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import { RateLimitedError } from '@punctual/core';
import { ErrorResponse, RefTo } from '@punctual/contract';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';

export interface RateLimitOptions {
  /** A client of its own with a short command timeout: a slow Redis must not hold requests up. */
  redis: Redis;
  /** The deployment's key prefix (QUEUE_PREFIX), so deployments and test files sharing a Redis count apart. */
  keyPrefix: string;
  /** Requests per minute per user, on every route that authenticates. */
  perUser: number;
  /** Requests per minute per client IP, on the routes without a user (register, login). */
  perClientIp: number;
}

export const RATE_LIMIT_WINDOW_MS = 60_000;

/** Where the counts live: `<nameSpace><key>`, one plain integer per key (the plugin's Redis store). */
export function rateLimitNameSpace(keyPrefix: string): string {
  return `${keyPrefix}:rate-limit:`;
}

/** The key of a request without a user: its client IP (the Bull Board's password checks count under it too). */
export function clientIpKey(request: FastifyRequest): string {
  return `ip:${normalizeIP(request.ip)}`;
}

/**
 * Limits every route registered after it in this scope: per user once authenticated, per client IP otherwise. Counted
 * in Redis, so every API replica shares one count. Over the limit: 429 in the contract's shape with `Retry-After`.
 * While Redis is away requests are not counted (skipOnError) rather than refused: the API keeps accepting tasks.
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
    redis: options.redis,
    nameSpace: rateLimitNameSpace(options.keyPrefix),
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
