import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { PUNCTUAL_VERSION } from '@punctual/config';
import type { FastifyInstance } from 'fastify';

/** The OpenAPI 3 document at `/docs/json`, generated from the routes' TypeBox schemas, and interactive docs at `/docs`. */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    // Shared shapes keep their $id as their name (components/schemas/Task, not def-4): the typed client exports them so.
    // A request field with a default may be left out: Ajv fills it in. The document says so, or the typed client would
    // make every caller send ?page=1&limit=20.
    transformObject: (documentObject) =>
      optionalDefaults('openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject),
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

type Schema = { properties?: Record<string, Schema>; required?: string[]; default?: unknown; items?: Schema } & Record<string, unknown>;
type Operation = {
  parameters?: Array<{ required?: boolean; schema?: Schema }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
};

/** Request parameters and body fields that have a default are optional to send, whatever the validator's schema says. */
function optionalDefaults<Document extends object>(original: Document): Document {
  // A copy: the document's schemas may be the very objects the routes validate with.
  const document = structuredClone(original);
  const paths = (document as { paths?: Record<string, Record<string, Operation>> }).paths ?? {};
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      for (const parameter of operation.parameters ?? []) {
        if (parameter.schema?.default !== undefined) parameter.required = false;
      }
      for (const media of Object.values(operation.requestBody?.content ?? {})) if (media.schema) dropRequiredDefaults(media.schema);
    }
  }
  return document;
}

function dropRequiredDefaults(schema: Schema): void {
  if (schema.properties && schema.required) {
    const withDefault = new Set(
      Object.entries(schema.properties)
        .filter(([, property]) => property.default !== undefined)
        .map(([name]) => name),
    );
    schema.required = schema.required.filter((name) => !withDefault.has(name));
  }
  for (const property of Object.values(schema.properties ?? {})) dropRequiredDefaults(property);
  if (schema.items) dropRequiredDefaults(schema.items);
}
