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

/** The configuration's tracing settings (OTEL_*): `serviceName` null means the process's own default. */
export interface TracingSettings {
  otlpEndpoint: string | null;
  serviceName: string | null;
  exportDelayMs: number;
}

/**
 * `startTracing` for a process (the API or the worker): `service.name` is OTEL_SERVICE_NAME or the process's default,
 * and spans that could not be sent are logged as a warning.
 */
export function startProcessTracing(
  settings: TracingSettings,
  service: { defaultName: string; version: string },
  logger: { warn(fields: { err: unknown }, message: string): void },
): Promise<Tracing | null> {
  return startTracing({
    ...settings,
    serviceName: settings.serviceName ?? service.defaultName,
    serviceVersion: service.version,
    onError: (err: unknown) => logger.warn({ err }, 'could not send spans to OTEL_EXPORTER_OTLP_ENDPOINT'),
  });
}
