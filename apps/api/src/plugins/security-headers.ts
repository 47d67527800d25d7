import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * Helmet's security headers on every response (the docs set their own Content-Security-Policy for swagger-ui), and
 * CORS for the configured origins only: with none, no CORS header is sent and browsers keep other sites out.
 */
export async function registerSecurityHeaders(app: FastifyInstance, options: { corsOrigins: string[] }): Promise<void> {
  await app.register(fastifyHelmet, { global: true });
  if (options.corsOrigins.length === 0) return;
  await app.register(fastifyCors, {
    origin: options.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    // What a browser client needs to read besides the body.
    exposedHeaders: ['Location', 'Retry-After', 'Idempotent-Replayed', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
    maxAge: 600,
  });
}
