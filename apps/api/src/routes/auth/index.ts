import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { authenticateUser, getSigningSecret, getUser, registerUser, rotateSigningSecret, secretKeysOf } from '@punctual/core';
import { CredentialsBody, LoginBody, RefTo, Session, SigningSecret, User } from '@punctual/contract';
import { errorResponses } from '../../schemas/common.js';

export const authRoutes: FastifyPluginAsyncTypebox<{ allowRegistration: boolean }> = async (app, options) => {
  const db = app.punctual.db;
  const secrets = { db, keys: secretKeysOf(app.punctual.tasks) };

  app.post(
    '/auth/register',
    {
      schema: {
        operationId: 'register',
        tags: ['auth'],
        summary: 'Create an account (password ≥ 8 characters) and get a token',
        body: CredentialsBody,
        response: { 201: Session, ...errorResponses(400, 403, 409, 429) },
      },
    },
    async (request, reply) => {
      const { user, claims } = await registerUser(db, request.body, {
        allowRegistration: options.allowRegistration,
        secrets: secrets.keys,
      });
      return reply.status(201).send({ user, token: await reply.jwtSign(claims) });
    },
  );

  app.post(
    '/auth/login',
    {
      schema: {
        operationId: 'login',
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
        operationId: 'getMe',
        tags: ['auth'],
        summary: 'The caller (401 when the credential outlived its account)',
        security: [{ bearerAuth: [] }],
        response: { 200: RefTo(User), ...errorResponses(401) },
      },
    },
    async (request) => getUser(db, request.actor.userId),
  );

  app.get(
    '/auth/signing-secret',
    {
      onRequest: app.authenticate,
      // Whoever holds the signing secret can forge calls to every receiver of this user: a read key may not see it.
      config: { fullScope: true },
      schema: {
        tags: ['auth'],
        operationId: 'getSigningSecret',
        summary: "The secret that signs the caller's outbound calls (Standard Webhooks)",
        description:
          'A JWT or a `full` API key; a `read` key is refused (403 `PUNCTUAL_INSUFFICIENT_SCOPE`): with the secret one could forge signed calls.',
        security: [{ bearerAuth: [] }],
        response: { 200: SigningSecret, ...errorResponses(401, 403) },
      },
    },
    async (request) => getSigningSecret(secrets, request.actor.userId),
  );

  app.post(
    '/auth/signing-secret/rotate',
    {
      onRequest: app.authenticate,
      config: { sessionOnly: true },
      schema: {
        tags: ['auth'],
        operationId: 'rotateSigningSecret',
        summary: 'Replace the signing secret; for 24 h calls carry signatures by both the new and the previous secret',
        description: 'An API key here is a 403: rotating a credential takes a person’s session.',
        security: [{ bearerAuth: [] }],
        response: { 200: SigningSecret, ...errorResponses(401, 403) },
      },
    },
    async (request) => rotateSigningSecret(secrets, request.actor.userId),
  );
};
