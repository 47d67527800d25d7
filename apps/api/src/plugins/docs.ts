import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { PUNCTUAL_VERSION } from '@punctual/config';
import type { FastifyInstance } from 'fastify';

/** The OpenAPI 3 document at `/docs/json`, generated from the routes' TypeBox schemas, and interactive docs at `/docs`. */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    // Shared shapes keep their $id as their name (components/schemas/Task, not def-4): the typed client exports them so.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json.$id === 'string' ? json.$id : `def-${index}`),
    },
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Punctual',
        version: PUNCTUAL_VERSION,
        description:
          'Schedules HTTP calls and makes sure they land. Errors are `{ statusCode, error, message, code }`; ' +
          'a 4xx message names the offending field. Request bodies reject unknown properties. ' +
          'Pagination: `?page=1&limit=20` (limit 1..100).',
      },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description:
              'A session JWT from register or login, or an API key (`pk_…`, from POST /api/v1/auth/api-keys). A read key may ' +
              'only use GET routes; no key may manage API keys, the signing secret or the password (403).',
          },
        },
      },
      tags: [
        { name: 'auth', description: 'Accounts, sessions, API keys' },
        { name: 'users', description: 'Admins manage accounts (403 for everyone else)' },
        { name: 'tasks', description: 'Scheduled HTTP calls' },
        { name: 'schedules', description: 'When a cron expression or a recurring task runs next, daylight-saving moves marked' },
        { name: 'logs', description: 'One row per attempt' },
        { name: 'stats', description: 'Counts of tasks by status and of attempts by outcome' },
        { name: 'system', description: 'Health and docs' },
      ],
    },
  });
  // swagger-ui's own Content-Security-Policy (its scripts and styles by hash) replaces helmet's strict one on /docs.
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });
}
