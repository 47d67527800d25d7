export { ATTEMPT_ATTRIBUTES, withAttemptSpan, type Span, type TracedJob } from './attempt-span.js';
export { startProcessTracing, startTracing, type TracingSettings } from './tracing.js';
export type { Tracing, TracingOptions } from './tracing-options.js';
