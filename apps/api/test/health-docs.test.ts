import { PUNCTUAL_VERSION } from '@punctual/config';
import { CHECKS_UP_ON_REDIS } from '@punctual/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, useTestApp } from './test-app.js';

const t = useTestApp();
/** The same app, but its queue backend's Redis is where nothing listens. */
let redisDown: TestApp;

beforeAll(async () => {
  redisDown = await createTestApp(t.env, { redisUrl: 'redis://127.0.0.1:1' });
});

afterAll(async () => {
  await redisDown?.close();
});

interface Health {
  status: string;
  checks: Record<string, { status: string; latencyMs: number; error?: string }>;
  uptimeSeconds: number;
  version: string;
}

describe('GET /health', () => {
  it('answers 200 ok with Postgres and Redis up, the version and the uptime', async () => {
    const response = await t.api.app.inject({ method: 'GET', url: '/health' });

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      status: 'ok',
      checks: CHECKS_UP_ON_REDIS,
      uptimeSeconds: expect.any(Number),
      version: PUNCTUAL_VERSION,
    });
    expect(response.json<Health>().uptimeSeconds).toBeGreaterThanOrEqual(0);
  });

  it('checks the queue in Postgres, and no Redis, on the Postgres queue backend', async () => {
    const postgresQueue = await createTestApp(t.env, { queueBackend: 'postgres', redisUrl: 'redis://127.0.0.1:1' });
    try {
      const response = await postgresQueue.app.inject({ method: 'GET', url: '/health' });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<Health>().checks).toEqual({
        postgres: { status: 'up', latencyMs: expect.any(Number) },
        queue: { status: 'up', latencyMs: expect.any(Number), backend: 'postgres' },
      });
    } finally {
      await postgresQueue.close();
    }
  });

  it('answers 503 degraded, within 3 s, when Redis is down', async () => {
    const started = performance.now();
    const response = await redisDown.app.inject({ method: 'GET', url: '/health' });
    const elapsed = performance.now() - started;

    expect(response.statusCode).toBe(503);
    const health = response.json<Health>();
    expect(health).toMatchObject({
      status: 'degraded',
      checks: {
        postgres: { status: 'up' },
        queue: { status: 'down', backend: 'redis', error: expect.any(String) },
        redis: { status: 'down', error: expect.any(String) },
      },
      version: PUNCTUAL_VERSION,
    });
    expect(elapsed).toBeLessThan(3_000);
  });
});

describe('GET /health/live', () => {
  it('answers 200 while the process runs, even with Redis down', async () => {
    const response = await redisDown.app.inject({ method: 'GET', url: '/health/live' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });
});

interface OpenApiOperation {
  security?: Array<Record<string, string[]>>;
  responses?: Record<string, unknown>;
}

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    securitySchemes?: Record<string, { type: string; scheme?: string }>;
    schemas?: Record<string, { title?: string; properties?: Record<string, Record<string, unknown>> }>;
  };
}

describe('GET /docs/json', () => {
  let document: OpenApiDocument;

  beforeAll(async () => {
    const response = await t.api.app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    document = response.json<OpenApiDocument>();
  });

  it('is an OpenAPI 3 document with the bearer JWT scheme', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.version).toBe(PUNCTUAL_VERSION);
    expect(document.components.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  const taskRoutes: Array<[string, string]> = [
    ['post', '/api/v1/tasks'],
    ['get', '/api/v1/tasks'],
    ['get', '/api/v1/tasks/{id}'],
    ['put', '/api/v1/tasks/{id}'],
    ['patch', '/api/v1/tasks/{id}'],
    ['delete', '/api/v1/tasks/{id}'],
    ['get', '/api/v1/tasks/{id}/status'],
    ['get', '/api/v1/tasks/{id}/logs'],
    ['get', '/api/v1/logs'],
    ['get', '/api/v1/stats'],
    ['get', '/api/v1/auth/me'],
  ];

  it.each(taskRoutes)('documents %s %s with bearerAuth security and a 401', (method, path) => {
    const operation = document.paths[path]?.[method];

    expect(operation, `${method.toUpperCase()} ${path}`).toBeDefined();
    expect(operation!.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(operation!.responses ?? {})).toContain('401');
  });

  it.each([
    ['post', '/api/v1/auth/register'],
    ['post', '/api/v1/auth/login'],
    ['get', '/health'],
    ['get', '/health/live'],
  ])('documents %s %s without security', (method, path) => {
    const operation = document.paths[path]?.[method];

    expect(operation, `${method.toUpperCase()} ${path}`).toBeDefined();
    expect(operation!.security ?? []).toEqual([]);
  });

  it("documents the Task's method as an enum of the seven methods", () => {
    const task = Object.values(document.components.schemas ?? {}).find((schema) => schema.title === 'Task');

    expect(task?.properties?.method).toEqual({ type: 'string', enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] });
  });

  it('documents that a task url is stored normalized and may not carry credentials', () => {
    const create = document.paths['/api/v1/tasks']?.post as {
      requestBody?: { content: Record<string, { schema: { properties: Record<string, { description?: string }> } }> };
    };
    const url = create.requestBody?.content['application/json']?.schema.properties.url;

    expect(url?.description).toMatch(/normalized/);
    expect(url?.description).toMatch(/credentials/);
  });

  it('does not list the docs routes themselves', () => {
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/docs'))).toEqual([]);
  });
});

describe('GET /docs', () => {
  it('serves the interactive docs as HTML (following redirects)', async () => {
    let url = '/docs';
    let response = await t.api.app.inject({ method: 'GET', url });
    for (let hops = 0; response.statusCode >= 300 && response.statusCode < 400 && hops < 5; hops++) {
      url = new URL(String(response.headers.location), `http://localhost${url}`).pathname;
      response = await t.api.app.inject({ method: 'GET', url });
    }

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toMatch(/<html/i);
  });
});

describe('unknown routes', () => {
  it.each(['/nope', '/api/v1/nope', '/api/v2/tasks'])('answers 404 in the error shape for %s', async (url) => {
    const response = await t.api.app.inject({ method: 'GET', url });

    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String), code: expect.any(String) });
  });
});
