import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { changePassword } from '@punctual/core';
import { ChangePasswordBody } from '@punctual/contract';
import { Type } from 'typebox';
import { errorResponses } from '../../schemas/common.js';

/** Password change: a session (JWT) only. */
export const passwordRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.punctual.db;

  app.post(
    '/auth/password',
    {
      onRequest: app.authenticate,
      config: { sessionOnly: true },
      schema: {
        operationId: 'changePassword',
        tags: ['auth'],
        summary: 'Change your password: every JWT issued before stops working (API keys stay valid)',
        description:
          'The caller’s own token stops working too: log in again with the new password. A wrong `currentPassword` is a ' +
          '403 (`PUNCTUAL_WRONG_PASSWORD`); an API key here is a 403.',
        security: [{ bearerAuth: [] }],
        body: ChangePasswordBody,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      await changePassword(db, request.actor.userId, request.body);
      return reply.status(204).send(null);
    },
  );
};
