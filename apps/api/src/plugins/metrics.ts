import { createApiMetrics, type ApiMetrics } from '@punctual/metrics';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's own Prometheus registry and the counters the routes report to (`taskCreated`). */
    metrics: ApiMetrics;
  }
}

/**
 * Counts every answered request by method, route template (`/api/v1/tasks/:id`, or `unmatched` for an unknown path,
 * so the label set stays bounded) and status, with its latency, and serves `GET /metrics`. Register it on the root,
 * before the routes: its hook then sees every request, 404s and refusals included. `/metrics` takes no credentials
 * and is not rate limited, like `/health`: Prometheus scrapes it from inside the deployment, and it shows counts only.
 */
export async function registerMetrics(app: FastifyInstance): Promise<void> {
  const metrics = createApiMetrics();
  app.decorate('metrics', metrics);
  app.addHook('onResponse', async (request, reply) => {
    metrics.requestAnswered({
      method: request.method,
      route: request.routeOptions.url,
      statusCode: reply.statusCode,
      durationSeconds: reply.elapsedTime / 1000,
    });
  });
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['system'],
        summary: 'Prometheus metrics of this API process (text format 0.0.4); no credentials',
        response: { 200: { description: 'the Prometheus text format', content: { 'text/plain': { schema: Type.String() } } } },
      },
    },
    async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
