import { isSpanContextValid, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Link, type Span } from '@opentelemetry/api';

export type { Span };

/** Span attributes of an attempt (no semantic convention covers them). */
export const ATTEMPT_ATTRIBUTES = {
  taskId: 'punctual.task.id',
  runId: 'punctual.run.id',
  attempt: 'punctual.attempt',
  /** `succeeded`, `failed`, or `dropped` for a stale job that made no call. */
  outcome: 'punctual.outcome',
} as const;

/** What of a BullMQ job the attempt span reads: its id, queue, and the enqueue context BullMQ keeps in its options. */
export interface TracedJob {
  id?: string | undefined;
  queueName: string;
  opts: { telemetry?: { metadata?: string } };
}

const tracer = trace.getTracer('punctual-worker');

/**
 * Runs a job's attempt inside a consumer span `process <queue>` that starts a new trace and links to the span that
 * enqueued the job. A link, not a parent: a job may run hours after it was enqueued, and a recurring task's next run
 * is enqueued by the previous attempt, so parenting would grow one trace for the task's whole life.
 * Without tracing, the API is a no-op and this just calls `run`.
 */
export function withAttemptSpan<T>(job: TracedJob, run: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(
    `process ${job.queueName}`,
    {
      kind: SpanKind.CONSUMER,
      root: true,
      links: enqueueLink(job.opts.telemetry?.metadata),
      attributes: {
        'messaging.system': 'bullmq',
        'messaging.operation.type': 'process',
        'messaging.destination.name': job.queueName,
        ...(job.id === undefined ? {} : { 'messaging.message.id': job.id }),
      },
    },
    async (span) => {
      try {
        return await run(span);
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** The enqueue span's context from the job's telemetry metadata (bullmq-otel writes the W3C headers as JSON). */
function enqueueLink(metadata: string | undefined): Link[] {
  if (!metadata) return [];
  let carrier: unknown;
  try {
    carrier = JSON.parse(metadata);
  } catch {
    return [];
  }
  if (typeof carrier !== 'object' || carrier === null) return [];
  const spanContext = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, carrier));
  return spanContext && isSpanContextValid(spanContext) ? [{ context: spanContext }] : [];
}
