import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listLogs } from '@punctual/core';
import { Type } from '@sinclair/typebox';
import { errorResponses, Paginated } from '../../schemas/common.js';
import { LogsQuery, TaskLog } from './schemas.js';

export const logRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  const context = app.punctual.tasks;

  app.get(
    '/logs',
    {
      schema: {
        tags: ['logs'],
        summary: "The caller's attempts (an admin's: everyone's), newest first",
        security: [{ bearerAuth: [] }],
        querystring: LogsQuery,
        response: { 200: Paginated(Type.Ref(TaskLog)), ...errorResponses(400, 401) },
      },
    },
    async (request) => listLogs(context, request.actor, request.query),
  );
};
