import { createDatabase, pingDatabase } from '@punctual/db';
import { createTestEnvironment, freePort, type TestEnvironment } from '@punctual/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../src/plugins/error-handler.js';
import { createTestApp, type TestApp } from './test-app.js';

let env: TestEnvironment;
let api: TestApp;
/** The error handler alone, on routes that raise real errors: a Postgres data exception, a refused connection, a bug. */
let bare: FastifyInstance;
let unreachable: ReturnType<typeof createDatabase>;

beforeAll(async () => {
  env = await createTestEnvironment();
  api = await createTestApp(env);
  // Nothing listens on that loopback port, so every query fails with ECONNREFUSED.
  unreachable = createDatabase(`postgres://postgres@127.0.0.1:${await freePort()}/none`, { maxConnections: 1 });
  bare = Fastify({ logger: false });
  registerErrorHandler(bare);
  // 22P02: the text is no uuid.
  bare.get('/data-exception', async () => env.db.selectFrom('tasks').select('id').where('id', '=', 'not-a-uuid').execute());
  bare.get('/database-away', async () => pingDatabase(unreachable));
  bare.get('/bug', async () => {
    throw new Error('SELECT secret FROM internals');
  });
  await bare.ready();
});

afterAll(async () => {
  await bare?.close();
  await unreachable?.destroy();
  await api?.close();
  await env?.cleanup();
});

describe('error handler: every error a client can meet has its registry code and the contract shape', () => {
  it('answers 404 PUNCTUAL_ROUTE_NOT_FOUND for an unknown route, naming method and path without the query', async () => {
    const response = await api.app.inject({ method: 'DELETE', url: '/api/v1/nothing-here?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'route DELETE /api/v1/nothing-here not found',
      code: 'PUNCTUAL_ROUTE_NOT_FOUND',
    });
  });

  it('answers 401 PUNCTUAL_UNAUTHORIZED without a bearer token', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/api/v1/tasks' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Authorization: Bearer <token> is required',
      code: 'PUNCTUAL_UNAUTHORIZED',
    });
  });

  it('answers 400 PUNCTUAL_UNSTORABLE_VALUE for a Postgres data exception (class 22)', async () => {
    const response = await bare.inject({ method: 'GET', url: '/data-exception' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'a value in the request cannot be stored',
      code: 'PUNCTUAL_UNSTORABLE_VALUE',
    });
  });

  it('answers 503 PUNCTUAL_DATABASE_UNAVAILABLE with Retry-After: 5 when Postgres refuses the connection', async () => {
    const response = await bare.inject({ method: 'GET', url: '/database-away' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'the database is not answering; try again shortly',
      code: 'PUNCTUAL_DATABASE_UNAVAILABLE',
    });
  });

  it('answers 500 PUNCTUAL_INTERNAL for anything else, without the error message', async () => {
    const response = await bare.inject({ method: 'GET', url: '/bug' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'something went wrong on our side',
      code: 'PUNCTUAL_INTERNAL',
    });
    expect(response.body).not.toContain('secret');
  });
});
