import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getStats } from '@punctual/core';
import { Stats, StatsQuery } from '@punctual/contract';
import { errorResponses } from '../../schemas/common.js';

export const statsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  const context = app.punctual.tasks;

  app.get(
    '/stats',
    {
      schema: {
        operationId: 'getStats',
        tags: ['stats'],
        summary: "Task and attempt counts of the caller's tasks (an admin's: everyone's, or one user's with userId)",
        security: [{ bearerAuth: [] }],
        querystring: StatsQuery,
        response: { 200: Stats, ...errorResponses(400, 401) },
      },
    },
    async (request) => getStats(context, request.actor, request.query),
  );
};
