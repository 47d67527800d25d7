import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listLogs } from '@punctual/core';
import { LogsQuery, Paginated, RefTo, TaskLog } from '@punctual/contract';
import { errorResponses } from '../../schemas/common.js';

export const logRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  const context = app.punctual.tasks;

  app.get(
    '/logs',
    {
      schema: {
        operationId: 'listLogs',
        tags: ['logs'],
        summary: "The caller's attempts (an admin's: everyone's), newest first",
        security: [{ bearerAuth: [] }],
        querystring: LogsQuery,
        response: { 200: Paginated(RefTo(TaskLog)), ...errorResponses(400, 401) },
      },
    },
    async (request) => listLogs(context, request.actor, request.query),
  );
};
