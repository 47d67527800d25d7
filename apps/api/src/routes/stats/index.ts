import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getAttemptTimeline, getStats } from '@punctual/core';
import { Stats, StatsQuery, Timeline, TimelineQuery } from '@punctual/contract';
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

  app.get(
    '/stats/timeline',
    {
      schema: {
        operationId: 'getStatsTimeline',
        tags: ['stats'],
        summary: 'Finished attempts per time bucket, succeeded and failed, with how late they started (what the dashboard charts)',
        description:
          "The caller's attempts (an admin's: everyone's, or one user's with userId) started in the last `hours`, in buckets of " +
          '`bucketMinutes` aligned in UTC; every bucket is listed, empty ones with zeros and null lateness. Lateness is how long ' +
          'after its due time an attempt started (a retry is due at its backoff time).',
        security: [{ bearerAuth: [] }],
        querystring: TimelineQuery,
        response: { 200: Timeline, ...errorResponses(400, 401) },
      },
    },
    async (request) => getAttemptTimeline(context, request.actor, request.query),
  );
};
