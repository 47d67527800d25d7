import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PUNCTUAL_VERSION } from '@punctual/config';
import { StringEnum } from '@punctual/contract';
import { healthReport } from '@punctual/core';
import { pingDatabase } from '@punctual/db';
import { Type } from 'typebox';

const Check = Type.Object({
  status: StringEnum(['up', 'down']),
  latencyMs: Type.Integer(),
  error: Type.Optional(Type.String()),
});

const Checks = Type.Object({
  postgres: Check,
  queue: Type.Object(
    { ...Check.properties, backend: StringEnum(['redis', 'postgres'], { description: 'QUEUE_BACKEND' }) },
    { description: "the queue's store: Redis, or Postgres with QUEUE_BACKEND=postgres" },
  ),
  redis: Type.Optional(Type.Object(Check.properties, { description: 'on the Redis backend only: the same check as `queue`' })),
});

const Health = Type.Object({
  status: StringEnum(['ok', 'degraded']),
  checks: Checks,
  uptimeSeconds: Type.Integer(),
  version: Type.String(),
});

const Ready = Type.Object({
  status: StringEnum(['ok', 'degraded', 'unready']),
  checks: Checks,
});

const CHECK_TIMEOUT_MS = 2_000;

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, queueBackend } = app.punctual;
  const checks = { postgres: () => pingDatabase(db), queue: () => queueBackend.ping() };
  const report = () => healthReport(checks, { timeoutMs: CHECK_TIMEOUT_MS, queueBackend: queueBackend.name });

  app.get(
    '/health',
    {
      schema: {
        operationId: 'getHealth',
        tags: ['system'],
        summary: "Postgres and the queue's store (Redis, or Postgres): 200 ok, or 503 degraded when one is down",
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const { checks: results, health } = await report();
      return reply.status(health.statusCode).send({
        status: health.status,
        checks: results,
        uptimeSeconds: Math.floor(process.uptime()),
        version: PUNCTUAL_VERSION,
      });
    },
  );

  app.get(
    '/health/live',
    {
      schema: {
        operationId: 'getLiveness',
        tags: ['system'],
        summary: 'Liveness: 200 while the process runs',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['system'],
        summary:
          "Readiness: 200 while Postgres answers (status degraded when the queue's store does not), 503 unready when Postgres does not",
        description:
          "The API keeps accepting tasks while the queue's store (Redis) is away (the reconciler queues them later), so only Postgres decides " +
          '(the workers answer by the same rule). Each check gives up after 2 s.',
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_request, reply) => {
      const { checks: results, ready } = await report();
      return reply.status(ready.statusCode).send({ status: ready.status, checks: results });
    },
  );
};
