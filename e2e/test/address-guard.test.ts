import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestEnvironment, type PunctualProcess, type TestEnvironment } from '@punctual/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PunctualClient, printOutputOnFailure, punctualEnv, startApiAndWorker, stopAll } from './punctual-client.js';

// Every other e2e file allows private targets, because its target listens on 127.0.0.1. Here the API and the worker
// run as a deployment does, with the address guard on, and a loopback listener counts the connections it gets: none.
describe('a deployment without ALLOW_PRIVATE_TARGETS', () => {
  let environment: TestEnvironment;
  let listener: Server;
  let port: number;
  let connections = 0;
  let api: PunctualProcess & { url: string };
  let worker: PunctualProcess;
  let client: PunctualClient;

  beforeAll(async () => {
    listener = createServer((_req, res) => res.end('reached')).on('connection', () => connections++);
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    port = (listener.address() as AddressInfo).port;

    environment = await createTestEnvironment();
    // An empty value counts as unset, whatever the test process's own environment holds.
    const env = { ...punctualEnv(environment), ALLOW_PRIVATE_TARGETS: '' };
    ({ api, worker, client } = await startApiAndWorker(env));
  });
  printOutputOnFailure(() => [api, worker]);

  afterAll(async () => {
    try {
      await stopAll([api, worker]);
    } finally {
      listener?.closeAllConnections();
      listener?.close();
      await environment?.cleanup();
    }
  });

  it('refuses a loopback IP literal at create with a 400 naming body/url', async () => {
    const response = await client.request<{ message: string }>('POST', '/api/v1/tasks', {
      name: 'literal',
      url: `http://127.0.0.1:${port}/`,
    });

    expect(response.status).toBe(400);
    expect(response.body.message).toBe('body/url names the blocked address 127.0.0.1 (loopback): workers only call public addresses');
  });

  it('records a failed attempt saying the address is blocked when a host name resolves to loopback; nothing reaches it', async () => {
    const task = await client.createTask({ url: `http://localhost:${port}/guarded`, maxRetries: 0 });

    const failed = await client.waitForStatus(task.id, 'failed', 20_000);
    const logs = await client.taskLogs(task.id);

    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ outcome: 'failed', statusCode: null, responseBody: null });
    expect(logs[0]!.error).toMatch(/^ERR_BLOCKED_ADDRESS blocked address \(loopback\), resolved from localhost$/);
    expect(failed.lastError).toBe(logs[0]!.error);
    expect(connections).toBe(0);
  });

  it('logs no warning about private targets', () => {
    expect(api.output()).not.toContain('ALLOW_PRIVATE_TARGETS');
    expect(worker.output()).not.toContain('ALLOW_PRIVATE_TARGETS');
  });
});
