import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { authenticateUser, getUser, registerUser } from '@punctual/core';
import { CredentialsBody, LoginBody, RefTo, Session, User } from '@punctual/contract';
import { errorResponses } from '../../schemas/common.js';

export const authRoutes: FastifyPluginAsyncTypebox<{ allowRegistration: boolean }> = async (app, options) => {
  const db = app.punctual.db;

  app.post(
    '/auth/register',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an account (password ≥ 8 characters) and get a token',
        body: CredentialsBody,
        response: { 201: Session, ...errorResponses(400, 403, 409, 429) },
      },
    },
    async (request, reply) => {
      const { user, claims } = await registerUser(db, request.body, { allowRegistration: options.allowRegistration });
      return reply.status(201).send({ user, token: await reply.jwtSign(claims) });
    },
  );

  app.post(
    '/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Exchange email and password for a token (the same 401 for an unknown email and a wrong password)',
        description: 'A disabled account answers 401 with code `PUNCTUAL_ACCOUNT_DISABLED` once its password is right.',
        body: LoginBody,
        response: { 200: Session, ...errorResponses(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { user, claims } = await authenticateUser(db, request.body);
      return { user, token: await reply.jwtSign(claims) };
    },
  );

  app.get(
    '/auth/me',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['auth'],
        summary: 'The caller (401 when the credential outlived its account)',
        security: [{ bearerAuth: [] }],
        response: { 200: RefTo(User), ...errorResponses(401) },
      },
    },
    async (request) => getUser(db, request.actor.userId),
  );
};
