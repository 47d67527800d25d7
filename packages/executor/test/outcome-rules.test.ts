import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusCodeRule } from '@punctual/scheduling';
import { startTargetServer, type TargetServer } from '@punctual/testing';
import { createExecutor, type Executor, type OutboundRequest } from '../src/index.js';
import { listen, shut } from './one-off-server.js';

// Against a real node:http target on 127.0.0.1: which responses count as success (successCodes) and how each failure
// is told apart for retryOn (the result's `failure`).

let target: TargetServer;
let executor: Executor;
let guarded: Executor;

beforeAll(async () => {
  target = await startTargetServer();
  executor = createExecutor({ responseBodyLimitBytes: 1024, userAgent: 'punctual/test', allowPrivateTargets: true });
  guarded = createExecutor({ responseBodyLimitBytes: 1024, userAgent: 'punctual/test' });
});

afterAll(async () => {
  await Promise.all([executor.close(), guarded.close()]);
  await target.close();
});

function call(path: string, overrides: Partial<OutboundRequest> = {}): OutboundRequest {
  return { url: `${target.url}${path}`, method: 'GET', headers: {}, timeoutMs: 2_000, ...overrides };
}

describe('successCodes', () => {
  it.each<[StatusCodeRule[] | undefined, number, 'succeeded' | 'failed']>([
    [undefined, 200, 'succeeded'],
    [undefined, 204, 'succeeded'],
    [undefined, 404, 'failed'],
    [['2xx'], 201, 'succeeded'],
    [['2xx', 404], 404, 'succeeded'],
    [['2xx', 404], 410, 'failed'],
    [['2xx', 404], 200, 'succeeded'],
    [[404], 200, 'failed'],
    [['4xx'], 409, 'succeeded'],
    [['2xx', '3xx'], 302, 'succeeded'],
    [['5xx'], 503, 'succeeded'],
  ])('with %j, a %i is %s', async (successCodes, status, outcome) => {
    const result = await executor.execute(call(`/status/${status}`, successCodes ? { successCodes } : {}));

    expect(result).toMatchObject({
      outcome,
      statusCode: status,
      failure: outcome === 'succeeded' ? null : 'status',
      error: outcome === 'succeeded' ? null : `HTTP ${status}`,
      responseBody: status === 204 ? '' : `status ${status}`,
    });
  });

  it('counts a listed status as success only when its body was read within the deadline', async () => {
    const result = await executor.execute(call('/trickle/10000', { timeoutMs: 300, successCodes: ['2xx'] }));

    expect(result).toMatchObject({ outcome: 'failed', statusCode: 200, failure: 'timeout', error: 'timeout after 300 ms' });
  });
});

describe('how a failure failed', () => {
  it('a status outside successCodes: status, whatever the body did after', async () => {
    expect(await executor.execute(call('/status/503'))).toMatchObject({ failure: 'status', statusCode: 503 });
    expect(await executor.execute(call('/status/302'))).toMatchObject({ failure: 'status', statusCode: 302 });
  });

  it('the deadline passing before the headers: timeout', async () => {
    expect(await executor.execute(call('/delay/10000', { timeoutMs: 200 }))).toMatchObject({
      failure: 'timeout',
      statusCode: null,
      error: 'timeout after 200 ms',
    });
  });

  it('nothing listening: network', async () => {
    const { server, url } = await listen((_req, res) => res.end());
    await shut(server);

    expect(await executor.execute({ url, method: 'GET', headers: {}, timeoutMs: 2_000 })).toMatchObject({
      failure: 'network',
      error: expect.stringMatching(/^connect ECONNREFUSED/) as unknown,
    });
  });

  it('a reset before the response: network', async () => {
    const { server, url } = await listen((req) => req.socket.destroy());
    try {
      expect(await executor.execute({ url, method: 'POST', headers: {}, body: 'x', timeoutMs: 2_000 })).toMatchObject({
        failure: 'network',
        statusCode: null,
      });
    } finally {
      await shut(server);
    }
  });

  it('a listed status whose body breaks off: network, with the status kept', async () => {
    const { server, url } = await listen((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    try {
      const result = await executor.execute({ url, method: 'GET', headers: {}, timeoutMs: 2_000 });

      expect(result).toMatchObject({ outcome: 'failed', failure: 'network', statusCode: 200, responseBody: 'partial' });
    } finally {
      await shut(server);
    }
  });

  it('a TLS handshake that fails: network', async () => {
    const result = await executor.execute(call('/ok', { url: `${target.url.replace('http:', 'https:')}/ok` }));

    expect(result).toMatchObject({ failure: 'network', statusCode: null });
  });

  it('a blocked address: not-sent, and nothing reaches the target', async () => {
    const before = target.hitsFor('/blocked').length;

    const result = await guarded.execute(call('/blocked'));

    expect(result).toMatchObject({
      outcome: 'failed',
      failure: 'not-sent',
      error: expect.stringMatching(/^ERR_BLOCKED_ADDRESS /) as unknown,
    });
    expect(target.hitsFor('/blocked')).toHaveLength(before);
  });

  it('a host name that resolves to a blocked address: not-sent', async () => {
    const result = await guarded.execute(call('/blocked', { url: target.url.replace('127.0.0.1', 'localhost') + '/blocked' }));

    expect(result).toMatchObject({ failure: 'not-sent', error: expect.stringMatching(/resolved from localhost$/) as unknown });
  });

  it.each<[string, Partial<OutboundRequest>]>([
    ['an unusable URL', { url: 'ftp://example.com/file' }],
    ['a body that cannot be serialised', { method: 'POST', body: 10n }],
    ['an invalid header value', { headers: { 'x-bad': 'line\nbreak' } }],
    ['an unusable deadline', { timeoutMs: 0 }],
  ])('a request that cannot be sent (%s): not-sent', async (_name, overrides) => {
    expect(await executor.execute(call('/ok', overrides))).toMatchObject({ outcome: 'failed', failure: 'not-sent', statusCode: null });
  });

  it('success: no failure', async () => {
    expect(await executor.execute(call('/ok'))).toMatchObject({ outcome: 'succeeded', failure: null, error: null });
  });
});
