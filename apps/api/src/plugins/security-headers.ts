import type { IncomingMessage, ServerResponse } from 'node:http';
import fastifyCors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** helmet's options for this route's responses, over the defaults (the Bull Board's Content-Security-Policy). */
    helmet?: Readonly<HelmetOptions>;
  }
}

/**
 * The headers helmet's middleware sets for these options, found once by running it against a recorder: helmet's
 * middleware depends on nothing but its options, and building it (as @fastify/helmet did on every request, parsing
 * the Content-Security-Policy each time) cost more than a request's JWT check.
 */
export function helmetHeaders(options: Readonly<HelmetOptions> = {}): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
      return recorder;
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error('helmet refused its options');
  });
  return headers;
}

const DEFAULT_HELMET: Readonly<HelmetOptions> = {
  contentSecurityPolicy: { useDefaults: true, directives: { 'upgrade-insecure-requests': null } },
};

/**
 * helmet's security headers on every response (a route's `config.helmet` replaces some: the Bull Board's; the docs set
 * their own Content-Security-Policy for swagger-ui), and CORS for the configured origins only: with none, no CORS
 * header is sent and browsers keep other sites out.
 */
export async function registerSecurityHeaders(app: FastifyInstance, options: { corsOrigins: string[] }): Promise<void> {
  // No upgrade-insecure-requests: the dashboard opened over plain HTTP at an address other than localhost (a LAN, a
  // first try before TLS) would have its own scripts rewritten to https:// and show a blank page. TLS is the proxy's
  // job, and HSTS (sent over HTTPS) keeps browsers there once it is set up.
  const defaults = helmetHeaders(DEFAULT_HELMET);
  const ofRoute = new WeakMap<object, Readonly<Record<string, string>>>();
  // Reply headers rather than the raw response's (which Node checks once when set and again when the reply's own
  // headers join them at writeHead); as with helmet's middleware, a reply's own header of the same name still wins.
  app.addHook('onRequest', (request, reply, done) => {
    const routeOptions = request.routeOptions.config.helmet;
    let headers = defaults;
    if (routeOptions !== undefined) {
      headers = ofRoute.get(routeOptions) ?? helmetHeaders(routeOptions);
      ofRoute.set(routeOptions, headers);
    }
    reply.headers(headers);
    done();
  });
  if (options.corsOrigins.length === 0) return;
  await app.register(fastifyCors, {
    origin: options.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    // What a browser client needs to read besides the body.
    exposedHeaders: ['Location', 'Retry-After', 'Idempotent-Replayed', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
    maxAge: 600,
  });
}
