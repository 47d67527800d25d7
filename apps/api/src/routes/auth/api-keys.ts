import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { API_KEY_LIMIT, createApiKey, deleteApiKey, listApiKeys } from '@punctual/core';
import { ApiKey, CreateApiKeyBody, CreatedApiKey, IdParams, RefTo } from '@punctual/contract';
import { Type } from 'typebox';
import { errorResponses } from '../../schemas/common.js';

/** The caller's API keys. A session (JWT) only: no API key may create, list or delete keys. */
export const apiKeyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  const db = app.punctual.db;
  const security = [{ bearerAuth: [] }];
  const config = { sessionOnly: true };

  app.post(
    '/auth/api-keys',
    {
      config,
      schema: {
        operationId: 'createApiKey',
        tags: ['auth'],
        summary: 'Create an API key for servers and scripts (the key is in this answer only)',
        description:
          'Send it as `Authorization: Bearer pk_…`; it acts as its owner. Stored as a hash. An API key here is a 403; ' +
          `at most ${API_KEY_LIMIT} keys per user (409).`,
        security,
        body: CreateApiKeyBody,
        response: { 201: CreatedApiKey, ...errorResponses(400, 401, 403, 409, 429) },
      },
    },
    async (request, reply) => reply.status(201).send(await createApiKey(db, request.actor, request.body)),
  );

  app.get(
    '/auth/api-keys',
    {
      config,
      schema: {
        operationId: 'listApiKeys',
        tags: ['auth'],
        summary: "The caller's API keys, oldest first (never the keys themselves)",
        security,
        response: { 200: Type.Object({ data: Type.Array(RefTo(ApiKey)) }), ...errorResponses(401, 403, 429) },
      },
    },
    async (request) => listApiKeys(db, request.actor),
  );

  app.delete(
    '/auth/api-keys/:id',
    {
      config,
      schema: {
        operationId: 'deleteApiKey',
        tags: ['auth'],
        summary: 'Delete one of your API keys: it answers 401 from the next request on (another user’s key: 404)',
        security,
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      await deleteApiKey(db, request.actor, request.params.id);
      return reply.status(204).send(null);
    },
  );
};
