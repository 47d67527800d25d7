import {
  checkAccess,
  createPasswordAuthenticator,
  PunctualError,
  RateLimitedError,
  requireAdmin,
  RouteNotFoundError,
  UnauthorizedError,
} from '@punctual/core';
import type { Database, Kysely } from '@punctual/db';
import type { RateLimitCounter, TaskQueue } from '@punctual/queue';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { replyWithError } from './error-handler.js';
import { createLoginAttempts } from './login-attempts.js';
import { clientIpKey, RATE_LIMIT_WINDOW_MS } from './rate-limit.js';

export const BULL_BOARD_PATH = '/admin/queues';
export const BULL_BOARD_REALM = 'Basic realm="Punctual Bull Board"';

export interface BullBoardOptions {
  db: Kysely<Database>;
  /** Every queue of the backend in use (BullMQ Queue objects: on Redis or on the PostgreSQL backend alike). */
  queues: TaskQueue['queue'][];
  /** BULL_BOARD_READ_ONLY: the board shows jobs but refuses retry, clean, promote, remove, pause (405). */
  readOnly: boolean;
  /** Where password checks are counted: the rate limits' counters (the queue backend's store). */
  counter: RateLimitCounter;
  /** Password checks per minute per client IP (AUTH_RATE_LIMIT_MAX), one budget with `/api/v1/auth/login`'s limit. */
  maxLoginAttempts: number;
}

/** Marks the inner board's own 404 (no such page), which the outer route answers in the contract's shape. */
const BOARD_NOT_FOUND = 'x-punctual-board-not-found';
/** Set per connection (or by `inject`), not copied between the inner board's answer and the real reply. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date', BOARD_NOT_FOUND]);
const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;
/** How long a verified basic-auth password is trusted without hashing it again (the board polls every few seconds). */
const VERIFIED_PASSWORD_TTL_MS = 5 * 60_000;

/**
 * The board's page needs its own scripts, styles (inline, and Google Fonts' stylesheet) and fonts; helmet's default
 * policy would also upgrade its requests to https, which breaks it on a plain-HTTP port.
 */
const BOARD_HELMET = {
  contentSecurityPolicy: {
    useDefaults: true,
    directives: {
      'script-src': ["'self'"],
      'style-src': ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
      'font-src': ["'self'", 'data:', 'https://fonts.gstatic.com'],
      'img-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
      'upgrade-insecure-requests': null,
    },
  },
};

/**
 * Bull Board at `/admin/queues`, admins only: every route under it (page, static files, board API, unknown paths)
 * first passes `guard`. Credentials: HTTP basic auth with an admin's email and password (for a browser), or an admin's
 * session JWT as `Authorization: Bearer` (API keys are refused, as on the credential routes). No or bad credentials:
 * 401 with a Basic challenge; a valid account that is not an admin: 403.
 */
export async function registerBullBoard(app: FastifyInstance, options: BullBoardOptions): Promise<void> {
  const passwords = createPasswordAuthenticator(options.db, { ttlMs: VERIFIED_PASSWORD_TTL_MS, maxEntries: 1_000 });
  const loginAttempts = createLoginAttempts(options.counter, {
    max: options.maxLoginAttempts,
    windowMs: RATE_LIMIT_WINDOW_MS,
  });

  const basicAuth = async (request: FastifyRequest, reply: FastifyReply, encoded: string): Promise<void> => {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new UnauthorizedError('the basic credentials must be "email:password"');
    // Every password check counts (reserved before hashing, so parallel guesses cannot all pass one check), in the
    // client IP's login budget; credentials already verified (a polling page) are served from the cache uncounted.
    const beforeVerify = async (): Promise<void> => {
      const retryAfter = await loginAttempts.reserve(clientIpKey(request));
      if (retryAfter === null) return;
      reply.header('retry-after', String(retryAfter));
      throw new RateLimitedError(options.maxLoginAttempts, `${retryAfter} seconds`);
    };
    requireAdmin(await passwords.authenticate({ email: decoded.slice(0, colon), password: decoded.slice(colon + 1) }, { beforeVerify }));
  };

  const guard = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    try {
      const header = request.headers.authorization;
      if (header === undefined) throw new UnauthorizedError('credentials required: an admin’s email and password, or a session JWT');
      const basic = BASIC.exec(header);
      if (basic) await basicAuth(request, reply, basic[1]!);
      else {
        await app.authenticate(request, reply);
        // Explicitly, not only through the routes' config: the scope's not-found handler has no route config.
        checkAccess(request.actor, request.method, { sessionOnly: true, adminOnly: true });
      }
      return undefined;
    } catch (error) {
      if (error instanceof PunctualError && error.statusCode === 401) reply.header('www-authenticate', BULL_BOARD_REALM);
      // Answered here: the board's own error handler (its routes') would not use the contract's shape.
      return replyWithError(error instanceof Error ? error : new Error(String(error)), request, reply);
    }
  };

  await app.register(
    async (scope) => {
      scope.addHook('onRoute', (route) => {
        route.config = { ...route.config, sessionOnly: true, adminOnly: true, helmet: BOARD_HELMET };
      });
      scope.addHook('onRequest', guard);
      scope.setNotFoundHandler((request, reply) =>
        replyWithError(new RouteNotFoundError(request.method, request.url.split('?')[0] ?? ''), request, reply),
      );

      const board = lazyBoard(options);
      scope.addHook('onClose', () => board.close());
      const forward = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
        const instance = await board.instance();
        const answer = await instance.inject({
          method: request.method as 'GET',
          url: request.url,
          headers: forwardedHeaders(request.headers),
          ...(request.body === undefined ? {} : { payload: JSON.stringify(request.body) }),
        });
        if (answer.headers[BOARD_NOT_FOUND] !== undefined)
          return replyWithError(new RouteNotFoundError(request.method, request.url.split('?')[0] ?? ''), request, reply);
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) void reply.header(name, value);
        }
        return reply.code(answer.statusCode).send(answer.rawPayload);
      };
      // The board's pages are not the API: they stay out of the OpenAPI document (and so out of the typed client).
      const hidden = { schema: { hide: true } };
      scope.all('/', hidden, forward);
      scope.all('/*', hidden, forward);
    },
    { prefix: BULL_BOARD_PATH },
  );
}

function forwardedHeaders(headers: FastifyRequest['headers']): Record<string, string | string[]> {
  const forwarded: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    // The credentials were checked by the guard; the body is sent again as JSON, with a length of its own.
    if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'authorization') forwarded[name] = value;
  }
  return forwarded;
}

/**
 * Bull Board itself (its routes, views and static files) in a Fastify instance of its own, built on the first request
 * to the board and reached with `inject`. Its packages (lodash, valibot, ejs, @fastify/static, @fastify/view ...) cost
 * ~7 MiB of resident memory that most API processes never use: they are loaded only when an admin opens the board.
 */
function lazyBoard(options: BullBoardOptions): { instance(): Promise<FastifyInstance>; close(): Promise<void> } {
  let built: Promise<FastifyInstance> | undefined;
  const build = async (): Promise<FastifyInstance> => {
    const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter }] = await Promise.all([
      import('@bull-board/api'),
      import('@bull-board/api/bullMQAdapter'),
      import('@bull-board/fastify'),
    ]);
    const board = Fastify({ logger: false });
    board.setNotFoundHandler((_request, reply) => reply.code(404).header(BOARD_NOT_FOUND, '1').send());
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(BULL_BOARD_PATH);
    createBullBoard({
      // The adapter's type names the Redis-backed Queue; at run time it takes either backend's (no Redis info then).
      queues: options.queues.map(
        (queue) => new BullMQAdapter(queue as ConstructorParameters<typeof BullMQAdapter>[0], { readOnlyMode: options.readOnly }),
      ),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'Punctual' } },
    });
    await board.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
    await board.ready();
    return board;
  };
  return {
    instance() {
      // A failed build (a missing file) is not kept: the next request tries again.
      built ??= build().catch((error: unknown) => {
        built = undefined;
        throw error;
      });
      return built;
    },
    async close() {
      await (await built?.catch(() => undefined))?.close();
    },
  };
}
