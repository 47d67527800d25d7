import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SPAN_KIND, useOtlpReceiver } from '@punctual/testing';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { PunctualClient, stopAll, uniqueSecrets, useRunningStack } from './punctual-client.js';

/** `00-<trace id>-<parent span id>-<flags>` (W3C Trace Context). */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

describe('tracing with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  const receiver = useOtlpReceiver();
  const stack = useRunningStack({
    workers: 1,
    env: () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver().url, OTEL_BSP_SCHEDULE_DELAY: '100' }),
  });

  it('traces the create request and its enqueue, and the attempt (linked to the enqueue) with its outbound call', async () => {
    const client = await PunctualClient.register(stack.api.url);
    const apiKey = (await client.request<{ key: string }>('POST', '/api/v1/auth/api-keys', { name: 'traces', scope: 'full' })).body.key;
    // A webhook URL with its secret in the path (as Slack's /services/T…/B…/<secret>), a key in the query, a task token
    // and sensitive headers: none of them may reach a span.
    const secrets = uniqueSecrets({
      pathSecret: 'path',
      querySecret: 'query',
      taskToken: 'tok',
      apiKeyHeader: 'hdr',
      cookie: 'cookie',
      userinfo: 'userinfo',
    });
    const path = `/echo/${randomUUID()}/services/T000/B000/${secrets.pathSecret}`;
    const withUserinfo = new URL(`${stack.target.url}${path}`);
    withUserinfo.username = 'someone';
    withUserinfo.password = secrets.userinfo;
    // Refused (credentials belong in `token` or a header), so it can only reach a span through the create request.
    const refused = await client.request<{ message: string }>('POST', '/api/v1/tasks', { name: 'userinfo', url: withUserinfo.href });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/url.*credentials/);
    const response = await fetch(`${stack.api.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'traced',
        url: `${stack.target.url}${path}?key=${secrets.querySecret}`,
        method: 'POST',
        body: { n: 1 },
        token: secrets.taskToken,
        headers: { 'X-Api-Key': secrets.apiKeyHeader, Cookie: secrets.cookie },
      }),
    });
    const task = (await response.json()) as { id: string };
    expect(response.status, JSON.stringify(task)).toBe(201);
    const [hit] = await stack.target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });
    // The attempt is recorded after the target answers: wait for it before reading its log.
    await client.waitForStatus(task.id, 'completed');
    const [log] = await client.taskLogs(task.id);

    const request = await receiver().waitForSpan(
      (span) =>
        span.name === 'POST /api/v1/tasks' && span.kind === SPAN_KIND.server && span.attributes['http.response.status_code'] === 201,
    );
    expect(request).toMatchObject({
      service: 'punctual-api',
      attributes: { 'http.request.method': 'POST', 'http.route': '/api/v1/tasks', 'http.response.status_code': 201 },
    });
    const enqueue = await receiver().waitForSpan((span) => span.kind === SPAN_KIND.producer && span.traceId === request.traceId);
    expect(enqueue.service).toBe('punctual-api');
    expect(enqueue.name).toMatch(/^add(Bulk)? tasks/);

    const attempt = await receiver().waitForSpan(
      (span) => span.kind === SPAN_KIND.consumer && span.attributes['punctual.task.id'] === task.id,
    );
    expect(attempt).toMatchObject({
      service: 'punctual-worker',
      name: 'process tasks',
      // A trace of its own, linked to the enqueue: a job may run long after it was queued.
      parentSpanId: '',
      links: [{ traceId: enqueue.traceId, spanId: enqueue.spanId }],
      attributes: {
        'punctual.task.id': task.id,
        'punctual.run.id': log!.runId,
        'punctual.attempt': 1,
        'punctual.outcome': 'succeeded',
        'messaging.system': 'bullmq',
      },
    });
    expect(attempt.traceId).not.toBe(request.traceId);

    const call = await receiver().waitForSpan((span) => span.kind === SPAN_KIND.client && span.parentSpanId === attempt.spanId);
    const target = new URL(stack.target.url);
    expect(call).toMatchObject({
      service: 'punctual-worker',
      name: 'POST',
      traceId: attempt.traceId,
      attributes: {
        'http.request.method': 'POST',
        // The origin only: paths and queries carry webhook secrets.
        'url.full': target.origin,
        'url.scheme': 'http',
        'server.address': target.hostname,
        'server.port': Number(target.port),
        'http.response.status_code': 200,
      },
    });

    // The target can join the trace: its parent is the outbound call's span.
    const [, traceId, parentId] = TRACEPARENT.exec(String(hit!.headers.traceparent)) ?? [];
    expect({ traceId, parentId }).toEqual({ traceId: call.traceId, parentId: call.spanId });
    // The unsigned traceparent leaves the Standard Webhooks signature valid.
    const secret = (await client.request<{ secret: string }>('GET', '/api/v1/auth/signing-secret')).body.secret;
    expect(() => new Webhook(secret).verify(hit!.body, hit!.headers as Record<string, string>, { jsonParse: false })).not.toThrow();

    // Every span exported so far, from both services (the signing-secret request's included).
    await receiver().waitForSpan(
      (span) => span.kind === SPAN_KIND.server && span.attributes['http.route'] === '/api/v1/auth/signing-secret',
    );
    const exported = JSON.stringify(receiver().spans);
    for (const [name, value] of Object.entries({ ...secrets, jwt: client.token, apiKey, signingSecret: secret })) {
      expect(exported.includes(value), `${name} appears in an exported span`).toBe(false);
    }
  });

  it('links a retry to the enqueue its failed attempt made, each attempt a trace of its own', async () => {
    const client = await PunctualClient.register(stack.api.url);
    const path = `/status/503/${randomUUID()}`;
    const task = await client.createTask({ url: `${stack.target.url}${path}`, maxRetries: 1 });
    await client.waitForStatus(task.id, 'failed');
    const attemptSpan = (attempt: number) =>
      receiver().waitForSpan(
        (span) =>
          span.kind === SPAN_KIND.consumer &&
          span.attributes['punctual.task.id'] === task.id &&
          span.attributes['punctual.attempt'] === attempt,
      );
    const [first, second] = await Promise.all([attemptSpan(1), attemptSpan(2)]);
    expect(first.attributes['punctual.outcome']).toBe('failed');
    const firstCall = await receiver().waitForSpan((span) => span.kind === SPAN_KIND.client && span.parentSpanId === first.spanId);
    expect(firstCall).toMatchObject({ statusCode: 2, attributes: { 'http.response.status_code': 503, 'error.type': '503' } });
    // The first attempt enqueued the retry: that producer span is its child, and the retry's attempt links to it.
    const retryEnqueue = await receiver().waitForSpan((span) => span.kind === SPAN_KIND.producer && span.parentSpanId === first.spanId);
    expect(second.links).toEqual([{ traceId: retryEnqueue.traceId, spanId: retryEnqueue.spanId }]);
    expect(second.traceId).not.toBe(first.traceId);
  });

  it("sends a task's own traceparent header unchanged instead of Punctual's", async () => {
    const client = await PunctualClient.register(stack.api.url);
    const path = `/ok/${randomUUID()}`;
    const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const task = await client.createTask({ url: `${stack.target.url}${path}`, headers: { traceparent: own } });
    const [hit] = await stack.target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });
    expect(hit!.headers.traceparent).toBe(own);
    expect(hit!.headers.tracestate).toBeUndefined();
    // The call is still traced, in the attempt's trace.
    const attempt = await receiver().waitForSpan(
      (span) => span.kind === SPAN_KIND.consumer && span.attributes['punctual.task.id'] === task.id,
    );
    await receiver().waitForSpan((span) => span.kind === SPAN_KIND.client && span.parentSpanId === attempt.spanId);
  });
});

describe('without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  // Every module URL each process resolves, written when it exits: the processes' own record of what they loaded.
  const directory = mkdtempSync(join(tmpdir(), 'punctual-modules-'));
  const recorder =
    'data:text/javascript,' +
    encodeURIComponent(
      "import { registerHooks } from 'node:module'; import { writeFileSync } from 'node:fs'; const seen = new Set();" +
        'registerHooks({ resolve(specifier, context, next) { const resolved = next(specifier, context); seen.add(resolved.url); return resolved; } });' +
        `process.on('exit', () => writeFileSync(${JSON.stringify(directory)} + '/' + process.pid, [...seen].join('\\n')));`,
    );
  const stack = useRunningStack({ workers: 1, env: () => ({ NODE_OPTIONS: `--import=${recorder}` }) });

  it('sends no traceparent, and neither process loads the OpenTelemetry SDK or instrumentations', async () => {
    const client = await PunctualClient.register(stack.api.url);
    const path = `/ok/${randomUUID()}`;
    const task = await client.createTask({ url: `${stack.target.url}${path}` });
    const [hit] = await stack.target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });
    expect(hit!.headers.traceparent).toBeUndefined();
    await client.waitForStatus(task.id, 'completed');

    await stopAll([stack.api, ...stack.workers]);
    for (const process of [stack.api, ...stack.workers]) {
      const loaded = readFileSync(join(directory, String(process.pid)), 'utf8').split('\n');
      // The record is real: it has what the process did load (the API-only package is allowed; it is a no-op).
      expect(loaded.some((url) => url.includes('/node_modules/bullmq/'))).toBe(true);
      expect(loaded.some((url) => /\/packages\/telemetry\/(src\/tracing\.ts|dist\/tracing\.js)$/.test(url))).toBe(true);
      expect(
        loaded.filter((url) =>
          /\/node_modules\/(@opentelemetry\/(?!api\/)|@fastify\/otel\/|bullmq-otel\/)|\/tracing-sdk\.(ts|js)$/.test(url),
        ),
      ).toEqual([]);
    }
  });
});
