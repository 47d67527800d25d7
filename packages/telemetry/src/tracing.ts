import type { Tracing, TracingOptions } from './tracing-options.js';

/**
 * Starts OpenTelemetry tracing when `otlpEndpoint` is set, and returns null (having loaded nothing) when it is not.
 * Call it before the Fastify instance is created: the Fastify instrumentation hooks into Fastify's construction.
 */
export async function startTracing(options: TracingOptions): Promise<Tracing | null> {
  if (options.otlpEndpoint === null) return null;
  // Only here is the SDK loaded: a process without tracing never imports it.
  const { startTracingSdk } = await import('./tracing-sdk.js');
  return startTracingSdk({ ...options, otlpEndpoint: options.otlpEndpoint });
}
