import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { freePort, SPAN_KIND, useOtlpReceiver } from '@punctual/testing';
import { ATTEMPT_ATTRIBUTES, startTracing, withAttemptSpan } from '@punctual/telemetry';
import { describe, expect, it } from 'vitest';

const onError = (error: unknown): void => {
  throw error;
};

describe('startTracing', () => {
  const receiver = useOtlpReceiver();

  it('is off (null) without an endpoint', async () => {
    expect(
      await startTracing({ otlpEndpoint: null, serviceName: 'test', serviceVersion: '0.0.0', exportDelayMs: 100, onError }),
    ).toBeNull();
  });

  it("sends to the endpoint's /v1/traces on shutdown, the attempt in a new trace linked to the enqueue", async () => {
    // A long export delay: only shutdown's flush can deliver the spans in time.
    const tracing = await startTracing({
      otlpEndpoint: `${receiver().url}/`,
      serviceName: 'telemetry-test',
      serviceVersion: '1.2.3',
      exportDelayMs: 600_000,
      onError,
    });
    expect(tracing).not.toBeNull();

    // What BullMQ does on enqueue with `queueTelemetry`: a producer span whose context goes into the job's options.
    const producer = trace.getTracer('test').startSpan('add tasks.task-attempt', { kind: SpanKind.PRODUCER });
    const metadata = tracing!.queueTelemetry.contextManager.getMetadata(trace.setSpan(context.active(), producer));
    producer.end();

    const traceparent = await withAttemptSpan({ id: 'job-1', queueName: 'tasks', opts: { telemetry: { metadata } } }, async (span) => {
      span.setAttribute(ATTEMPT_ATTRIBUTES.outcome, 'succeeded');
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      return carrier.traceparent;
    });
    await tracing!.shutdown();

    expect(receiver().spans).toHaveLength(2);
    const [enqueue, attempt] = receiver().spans;
    expect(enqueue).toMatchObject({ service: 'telemetry-test', kind: SPAN_KIND.producer });
    expect(attempt).toMatchObject({
      service: 'telemetry-test',
      name: 'process tasks',
      kind: SPAN_KIND.consumer,
      parentSpanId: '',
      links: [{ traceId: enqueue!.traceId, spanId: enqueue!.spanId }],
      attributes: { 'messaging.message.id': 'job-1', 'punctual.outcome': 'succeeded' },
    });
    expect(attempt!.traceId).not.toBe(enqueue!.traceId);
    expect(traceparent).toBe(`00-${attempt!.traceId}-${attempt!.spanId}-01`);
  });

  it('stops without rejecting when the collector is not there, and says the spans were not sent', async () => {
    const errors: unknown[] = [];
    const tracing = await startTracing({
      otlpEndpoint: `http://127.0.0.1:${await freePort()}`,
      serviceName: 'telemetry-test',
      serviceVersion: '1.2.3',
      exportDelayMs: 600_000,
      onError: (error) => errors.push(error),
    });
    trace.getTracer('test').startSpan('lost').end();
    const stopping = performance.now();
    await expect(tracing!.shutdown()).resolves.toBeUndefined();
    // The exporter retries a refused connection; the stop gives up after 5 s at most (a loose bound here).
    expect(performance.now() - stopping).toBeLessThan(15_000);
    expect(errors.map(String)).toContainEqual(expect.stringMatching(/ECONNREFUSED|spans not sent within 5000 ms of stopping/));
  });

  it('leaves the API a no-op after shutdown', () => {
    const span = trace.getTracer('test').startSpan('after');
    expect(span.isRecording()).toBe(false);
    span.end();
  });
});
