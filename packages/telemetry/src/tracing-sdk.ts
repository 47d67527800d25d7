import { FastifyOtelInstrumentation } from '@fastify/otel';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { setGlobalErrorHandler, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { BullMQOtel } from 'bullmq-otel';
import type { Tracing, TracingOptions } from './tracing-options.js';

/** How long a stop waits for the last spans: a collector that does not answer must not hold up a graceful stop. */
const SHUTDOWN_TIMEOUT_MS = 5_000;

/** Probes and scrapes would make a trace every few seconds and say nothing. */
const UNTRACED_ROUTES = /^\/(health|metrics|admin\/queues)(\/|$)/;

/**
 * Registers the global tracer provider (batching spans to OTLP/HTTP as JSON), the context manager, the W3C
 * `traceparent` propagator and the Fastify instrumentation. Loaded only by `startTracing`.
 */
export function startTracingSdk(options: TracingOptions & { otlpEndpoint: string }): Tracing {
  // Failed exports end here (the SDK's default only tells its own, silent, diagnostic logger).
  setGlobalErrorHandler(options.onError);
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  // traceparent/tracestate only: no baggage header leaves the process.
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, 'service.version': options.serviceVersion }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: tracesUrl(options.otlpEndpoint) }),
        scheduledDelayMillis: options.exportDelayMs,
      }),
    ],
  });
  trace.setGlobalTracerProvider(provider);

  // Subscribes to Fastify's construction (a diagnostics channel), so no plugin has to be registered in app.ts.
  const fastify = new FastifyOtelInstrumentation({
    registerOnInitialization: true,
    // One span for the request and one for its handler; a span per hook would bury them.
    instrumentHooks: false,
    ignorePaths: (route) => UNTRACED_ROUTES.test(route.url),
    requestHook: (span, request) => {
      // The HTTP server span's conventional name; url.path without the query, which may carry anything.
      span.updateName(`${request.method} ${request.routeOptions.url ?? ''}`.trim());
      span.setAttribute('url.path', request.url.split('?')[0] ?? '/');
    },
  });

  return {
    queueTelemetry: new BullMQOtel({ tracerName: 'punctual-queue', version: options.serviceVersion }),
    async shutdown() {
      fastify.disable();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          options.onError(new Error(`spans not sent within ${SHUTDOWN_TIMEOUT_MS} ms of stopping; dropped`));
          resolve();
        }, SHUTDOWN_TIMEOUT_MS);
      });
      await Promise.race([provider.shutdown().catch(options.onError), timeout]).finally(() => clearTimeout(timer));
      // Back to the API's no-ops, so nothing registered here outlives the flush.
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** The traces URL for an OTLP base endpoint, as the OTel spec builds it from OTEL_EXPORTER_OTLP_ENDPOINT. */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}
