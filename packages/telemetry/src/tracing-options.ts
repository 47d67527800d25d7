import type { Telemetry } from 'bullmq';

export interface TracingOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the OTLP/HTTP base URL (`/v1/traces` is appended); null turns tracing off. */
  otlpEndpoint: string | null;
  /** `service.name` of every span this process sends. */
  serviceName: string;
  /** `service.version`. */
  serviceVersion: string;
  /** OTEL_BSP_SCHEDULE_DELAY: how long finished spans wait before they are sent in a batch. */
  exportDelayMs: number;
}

/** The tracing of a process that has it on: hand `queueTelemetry` to BullMQ, call `shutdown()` last when stopping. */
export interface Tracing {
  /** BullMQ's `telemetry` option: enqueueing makes a producer span and carries its context in the job's options. */
  queueTelemetry: Telemetry;
  /** Sends the spans still waiting and stops; call once everything that makes spans is closed. */
  shutdown(): Promise<void>;
}
