import { SPAN_KIND, startOtlpReceiver, startTargetServer, type OtlpReceiver, type TargetServer } from '@punctual/testing';
import { startTracing, type Tracing } from '@punctual/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutor, type Executor, type OutboundRequest } from '../src/index.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

// With tracing on (the real SDK, sending to a local receiver): what the call's span and traceparent look like.
describe('the outbound call with tracing on', () => {
  let receiver: OtlpReceiver;
  let target: TargetServer;
  let tracing: Tracing;
  let executor: Executor;

  beforeAll(async () => {
    [receiver, target] = await Promise.all([startOtlpReceiver(), startTargetServer()]);
    tracing = (await startTracing({
      otlpEndpoint: receiver.url,
      serviceName: 'executor-test',
      serviceVersion: '0.0.0',
      exportDelayMs: 50,
      onError: (error) => {
        throw error;
      },
    }))!;
    executor = createExecutor({ responseBodyLimitBytes: 1024, userAgent: 'punctual/test', allowPrivateTargets: true });
  });
  afterAll(async () => {
    await executor?.close();
    await tracing?.shutdown();
    await Promise.all([receiver?.close(), target?.close()]);
  });

  const call = (path: string, overrides: Partial<OutboundRequest> = {}): OutboundRequest => ({
    url: `${target.url}${path}`,
    method: 'GET',
    headers: {},
    timeoutMs: 2_000,
    ...overrides,
  });
  const hitOf = async (path: string) => (await target.waitForHits(1, { pathPrefix: path }))[0]!;

  it('makes a client span with only the target origin (no path, query or credentials), named in the traceparent it sends', async () => {
    // A path like Slack's /services/T…/B…/<secret>: the secret is in the path.
    const url = new URL(`${target.url}/ok/span/services/T000/B000/path-secret?token=query-secret#fragment-secret`);
    url.username = 'user';
    url.password = 'pass-secret';
    const result = await executor.execute(call('', { url: url.href, method: 'POST', body: 'x' }));
    expect(result.statusCode).toBe(200);

    const [, traceId, spanId] = TRACEPARENT.exec(String((await hitOf('/ok/span')).headers.traceparent)) ?? [];
    const span = await receiver.waitForSpan((candidate) => candidate.spanId === spanId);
    const port = Number(new URL(target.url).port);
    expect(span).toMatchObject({
      name: 'POST',
      kind: SPAN_KIND.client,
      traceId,
      statusCode: 0,
      attributes: {
        'http.request.method': 'POST',
        'url.full': `http://127.0.0.1:${port}`,
        'url.scheme': 'http',
        'server.address': '127.0.0.1',
        'server.port': port,
        'http.response.status_code': 200,
      },
    });
    expect(JSON.stringify(span)).not.toMatch(/secret|services|\/ok\/span/);
  });

  it("keeps the request's own traceparent, whatever its case, and adds none", async () => {
    const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await executor.execute(call('/ok/own', { headers: { TraceParent: own } }));
    const hit = await hitOf('/ok/own');
    expect(hit.headers.traceparent).toBe(own);
    expect(hit.headers.tracestate).toBeUndefined();
  });

  it('marks a failed call as an error with a bounded error.type', async () => {
    const status = await executor.execute(call('/status/503/span'));
    const timeout = await executor.execute(call('/delay/1000/span', { timeoutMs: 100 }));
    expect([status.outcome, timeout.outcome]).toEqual(['failed', 'failed']);
    const spanOf = async (path: string) => {
      const [, , spanId] = TRACEPARENT.exec(String((await hitOf(path)).headers.traceparent)) ?? [];
      return receiver.waitForSpan((candidate) => candidate.spanId === spanId);
    };
    expect(await spanOf('/status/503/span')).toMatchObject({
      statusCode: 2,
      attributes: { 'http.response.status_code': 503, 'error.type': '503' },
    });
    const timedOut = await spanOf('/delay/1000/span');
    expect(timedOut).toMatchObject({ statusCode: 2, attributes: { 'error.type': 'timeout' } });
    expect(timedOut.attributes).not.toHaveProperty('http.response.status_code');
  });
});
