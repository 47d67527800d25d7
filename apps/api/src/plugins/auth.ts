import fastifyJwt from '@fastify/jwt';
import { apiKeyActor, checkAccess, isApiKey, sessionActor, UnauthorizedError, type RequestActor, type SessionClaims } from '@punctual/core';
import type { Database, Kysely } from '@punctual/db';
import { createVerifier, TokenError } from 'fast-jwt';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorResponses } from '../schemas/common.js';

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: SessionClaims;
    user: SessionClaims;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest hook for every `/api/v1` route but register and login: 401 unless a valid credential (a JWT or an API
     * key) of an existing, enabled account is sent; 403 when the credential or role may not use this route.
     */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
  interface FastifyRequest {
    /** Who is asking, as of this request; set by `authenticate` (so later hooks, e.g. a rate limit, can key on it). */
    actor: RequestActor;
  }
  interface FastifyContextConfig {
    /** API keys are refused (403): routes that manage credentials (API keys, the signing secret, the password). */
    sessionOnly?: boolean;
    /** Users who are not admins are refused (403). */
    adminOnly?: boolean;
    /** `read` API keys are refused even on GET (403): routes that reveal a secret. */
    fullScope?: boolean;
  }
}

/** Tokens whose verification fast-jwt remembers (an LRU keyed by a hash of the token). */
const VERIFIED_TOKENS_CACHED = 1_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BEARER = /^Bearer +(\S+) *$/i;

/**
 * HS256 JWTs carrying `sub` (user id), `role` and `sv` (session version), with the configured expiry, and `pk_…` API
 * keys. Each request reads its account once (by primary key, or by key hash joined to the owner), so a deleted,
 * disabled or demoted user, a changed password or a deleted key takes effect at the next request.
 */
export async function registerAuth(
  app: FastifyInstance,
  options: { secret: string; expiresIn: string; db: Kysely<Database> },
): Promise<void> {
  const { db } = options;
  // Signing only: login and register issue tokens with app.jwt.sign.
  await app.register(fastifyJwt, { secret: options.secret, sign: { algorithm: 'HS256', expiresIn: options.expiresIn } });
  // Verified here rather than by request.jwtVerify, which decodes the token, looks its secret up through a callback
  // chain and only then asks fast-jwt: the same checks for a third of the CPU.
  // A token without `exp` would never expire: only the tokens this API issues (which all carry one) are accepted.
  // A client sends the same token with every request: fast-jwt keeps the outcome of the last 1,000 tokens checked
  // (never past a token's exp, nor 10 minutes), sparing the HMAC. The account is still read on every request.
  const verify = createVerifier({
    key: options.secret,
    algorithms: ['HS256'],
    requiredClaims: ['sub', 'exp'],
    cache: VERIFIED_TOKENS_CACHED,
  }) as (token: string) => Partial<SessionClaims>;
  app.decorateRequest('actor', null as unknown as RequestActor);
  app.decorate('authenticate', async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    if (!header) throw new UnauthorizedError('Authorization: Bearer <token> is required');
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) throw new UnauthorizedError('the bearer token is invalid');
    const actor = isApiKey(token) ? await apiKeyActor(db, token) : await sessionActor(db, verifiedClaims(verify, token));
    checkAccess(actor, request.method, request.routeOptions.config);
    request.actor = actor;
  });
  // Every authenticated route that changes something answers 403 to a read key: say so in its OpenAPI responses.
  app.addHook('onRoute', (route) => {
    const schema = route.schema as { security?: unknown[]; response?: Record<string, unknown> } | undefined;
    const methods = ([] as string[]).concat(route.method);
    if (!schema?.security || !schema.response || methods.every((method) => method === 'GET' || method === 'HEAD')) return;
    if (!('403' in schema.response)) schema.response = { ...schema.response, ...errorResponses(403) };
  });
}

function verifiedClaims(verify: (token: string) => Partial<SessionClaims>, token: string): { sub: string; sv?: number } {
  let payload: Partial<SessionClaims>;
  try {
    payload = verify(token);
  } catch (error) {
    const expired = error instanceof TokenError && error.code === TokenError.codes.expired;
    throw new UnauthorizedError(expired ? 'the token has expired; log in again' : 'the bearer token is invalid');
  }
  // Claims of another shape could only come from a leaked secret; refused here rather than as a Postgres cast error.
  const { sub, role, sv } = payload;
  if (
    typeof sub !== 'string' ||
    !UUID.test(sub) ||
    (role !== 'user' && role !== 'admin') ||
    (sv !== undefined && !(Number.isSafeInteger(sv) && sv >= 0))
  ) {
    throw new UnauthorizedError('the bearer token is invalid');
  }
  return { sub, sv };
}
