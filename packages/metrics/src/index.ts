export { METRICS, QUEUE_JOB_STATES, UNMATCHED_ROUTE, type MetricDefinition, type MetricKey, type QueueJobState } from './catalog.js';
export { createApiMetrics, type AnsweredRequest, type ApiMetrics } from './api-metrics.js';
export {
  createWorkerMetrics,
  QUEUE_COUNTS_TIMEOUT_MS,
  type AttemptRecorder,
  type JobCounts,
  type DeliveryRecorder,
  type MaintenanceRecorder,
  type WorkerMetrics,
} from './worker-metrics.js';
export type { Registry } from 'prom-client';
