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
  /** Told when spans could not be sent (the collector down, say): tracing never fails the process for it. */
  onError: (error: unknown) => void;
}

/** The tracing of a process that has it on: hand `queueTelemetry` to BullMQ, call `shutdown()` last when stopping. */
export interface Tracing {
  /** BullMQ's `telemetry` option: enqueueing makes a producer span and carries its context in the job's options. */
  queueTelemetry: Telemetry;
  /**
   * Sends the spans still waiting (for at most a few seconds) and stops; call once everything that makes spans is
   * closed. Never rejects: spans that cannot be sent go to `onError`, and the stop goes on.
   */
  shutdown(): Promise<void>;
}
