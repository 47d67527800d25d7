import { createDatabase, pingDatabase } from '@punctual/db';
import { freePort } from '@punctual/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../src/plugins/error-handler.js';
import { useTestApp } from './test-app.js';

const t = useTestApp();
/** The error handler alone, on routes that raise real errors: a Postgres data exception, a refused connection, a bug. */
let bare: FastifyInstance;
let unreachable: ReturnType<typeof createDatabase>;

beforeAll(async () => {
  // Nothing listens on that loopback port, so every query fails with ECONNREFUSED.
  unreachable = createDatabase(`postgres://postgres@127.0.0.1:${await freePort()}/none`, { maxConnections: 1 });
  bare = Fastify({ logger: false });
  registerErrorHandler(bare);
  // 22P02: the text is no uuid.
  bare.get('/data-exception', async () => t.env.db.selectFrom('tasks').select('id').where('id', '=', 'not-a-uuid').execute());
  bare.get('/database-away', async () => pingDatabase(unreachable));
  bare.get('/bug', async () => {
    throw new Error('SELECT secret FROM internals');
  });
  await bare.ready();
});

afterAll(async () => {
  await bare?.close();
  await unreachable?.destroy();
});

type Case = [label: string, app: () => FastifyInstance, method: 'GET' | 'DELETE', url: string, body: Record<string, unknown>];

const CASES: Case[] = [
  [
    '404 PUNCTUAL_ROUTE_NOT_FOUND for an unknown route, naming method and path without the query',
    () => t.api.app,
    'DELETE',
    '/api/v1/nothing-here?x=1',
    { statusCode: 404, error: 'Not Found', message: 'route DELETE /api/v1/nothing-here not found', code: 'PUNCTUAL_ROUTE_NOT_FOUND' },
  ],
  [
    '401 PUNCTUAL_UNAUTHORIZED without a bearer token',
    () => t.api.app,
    'GET',
    '/api/v1/tasks',
    { statusCode: 401, error: 'Unauthorized', message: 'Authorization: Bearer <token> is required', code: 'PUNCTUAL_UNAUTHORIZED' },
  ],
  [
    '400 PUNCTUAL_UNSTORABLE_VALUE for a Postgres data exception (class 22)',
    () => bare,
    'GET',
    '/data-exception',
    { statusCode: 400, error: 'Bad Request', message: 'a value in the request cannot be stored', code: 'PUNCTUAL_UNSTORABLE_VALUE' },
  ],
  [
    '503 PUNCTUAL_DATABASE_UNAVAILABLE when Postgres refuses the connection',
    () => bare,
    'GET',
    '/database-away',
    {
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'the database is not answering; try again shortly',
      code: 'PUNCTUAL_DATABASE_UNAVAILABLE',
    },
  ],
  [
    '500 PUNCTUAL_INTERNAL for anything else, without the error message',
    () => bare,
    'GET',
    '/bug',
    { statusCode: 500, error: 'Internal Server Error', message: 'something went wrong on our side', code: 'PUNCTUAL_INTERNAL' },
  ],
];

describe('error handler: every error a client can meet has its registry code and the contract shape', () => {
  it.each(CASES)('answers %s', async (_label, app, method, url, body) => {
    const response = await app().inject({ method, url });
    expect(response.statusCode).toBe(body.statusCode);
    expect(response.json()).toEqual(body);
    expect(response.body).not.toContain('secret');
  });

  it('sends Retry-After: 5 with the 503 of an unreachable database', async () => {
    const response = await bare.inject({ method: 'GET', url: '/database-away' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
  });
});
