import fastifyJwt from '@fastify/jwt';
import type { Actor } from '@punctual/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string; role: 'user' | 'admin' };
    user: { sub: string; role: 'user' | 'admin' };
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for every `/api/v1` route but register and login: 401 unless a valid, unexpired token is sent. */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
  interface FastifyRequest {
    actor: Actor;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class UnauthorizedError extends Error {
  readonly statusCode = 401;
  readonly code = 'PUNCTUAL_UNAUTHORIZED';
}

/** HS256 JWTs carrying `sub` (user id) and `role`, with the configured expiry. */
export async function registerAuth(app: FastifyInstance, options: { secret: string; expiresIn: string }): Promise<void> {
  await app.register(fastifyJwt, {
    secret: options.secret,
    sign: { algorithm: 'HS256', expiresIn: options.expiresIn },
    verify: { algorithms: ['HS256'] },
  });
  app.decorateRequest('actor', null as unknown as Actor);
  app.decorate('authenticate', async (request: FastifyRequest) => {
    if (!request.headers.authorization) throw new UnauthorizedError('Authorization: Bearer <token> is required');
    let payload: { sub: string; role: 'user' | 'admin' };
    try {
      payload = await request.jwtVerify();
    } catch (error) {
      const expired = (error as { code?: string }).code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED';
      throw new UnauthorizedError(expired ? 'the token has expired; log in again' : 'the bearer token is invalid');
    }
    // A sub that is not a UUID could only come from a leaked secret; refused here rather than as a Postgres cast error.
    if (typeof payload.sub !== 'string' || !UUID.test(payload.sub) || (payload.role !== 'user' && payload.role !== 'admin')) {
      throw new UnauthorizedError('the bearer token is invalid');
    }
    request.actor = { userId: payload.sub, role: payload.role };
  });
}
