import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPunctualClient, PunctualApiError, unwrap, type Task } from '../src/index.js';

// A real HTTP server on loopback stands in for the API: these tests pin what the client sends and how it reads answers
// (the API's own answers are the e2e tests', which use this client).
let server: Server;
let baseUrl: string;
const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      if (request.url?.startsWith('/api/v1/tasks/missing')) {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ statusCode: 404, error: 'Not Found', message: 'task not found', code: 'TASK_NOT_FOUND' }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: 'a1', name: 'nightly' }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('createPunctualClient', () => {
  it('sends the token as a bearer credential to the path under the base address', async () => {
    const client = createPunctualClient({ baseUrl, token: 'pk_test' });
    const task: Pick<Task, 'id' | 'name'> = await unwrap(client.GET('/api/v1/tasks/{id}', { params: { path: { id: 'a1' } } }));

    expect(task).toEqual({ id: 'a1', name: 'nightly' });
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/api/v1/tasks/a1', headers: { authorization: 'Bearer pk_test' } });
  });

  it('asks a token function before each request and sends none when it answers null', async () => {
    let token: string | null = 'jwt-1';
    const client = createPunctualClient({ baseUrl, token: () => token });
    await client.GET('/api/v1/auth/me');
    token = null;
    await client.GET('/api/v1/auth/me');

    expect(seen.at(-2)?.headers.authorization).toBe('Bearer jwt-1');
    expect(seen.at(-1)?.headers.authorization).toBeUndefined();
  });

  it('serializes the query and the JSON body', async () => {
    const client = createPunctualClient({ baseUrl });
    await client.GET('/api/v1/tasks', { params: { query: { status: 'paused', page: 2, limit: 5 } } });
    expect(seen.at(-1)?.url).toBe('/api/v1/tasks?status=paused&page=2&limit=5');

    await client.POST('/api/v1/tasks', { body: { name: 'ping', url: 'https://example.com/hook' } });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/api/v1/tasks', headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ name: 'ping', url: 'https://example.com/hook' });
  });

  it('unwrap throws the API error with its status, code and message', async () => {
    const client = createPunctualClient({ baseUrl });
    const failure = await unwrap(client.GET('/api/v1/tasks/{id}', { params: { path: { id: 'missing' } } })).catch(
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(PunctualApiError);
    expect(failure).toMatchObject({ statusCode: 404, code: 'TASK_NOT_FOUND', message: 'task not found' });
  });
});
