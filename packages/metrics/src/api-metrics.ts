import type { Registry } from 'prom-client';
import { METRICS, UNMATCHED_ROUTE } from './catalog.js';
import { createRegistry, defineCounter, defineHistogram } from './registry.js';

export interface AnsweredRequest {
  method: string;
  /** The matched route's template (`/api/v1/tasks/:id`); undefined when no route matched. */
  route: string | undefined;
  statusCode: number;
  durationSeconds: number;
}

/** The API process's metrics: requests by route template and status, their latency, tasks created. */
export interface ApiMetrics {
  registry: Registry;
  requestAnswered(request: AnsweredRequest): void;
  /** One task was created (call it only for a real creation, not an idempotent replay). */
  taskCreated(): void;
}

export function createApiMetrics(): ApiMetrics {
  const registry = createRegistry();
  const requests = defineCounter(registry, METRICS.httpRequests);
  const duration = defineHistogram(registry, METRICS.httpRequestDuration);
  const tasksCreated = defineCounter(registry, METRICS.tasksCreated);
  // Present at 0 from the start, so rate() and increase() see the first creation.
  tasksCreated.inc(0);
  return {
    registry,
    requestAnswered({ method, route, statusCode, durationSeconds }) {
      const labels = { method, route: route ?? UNMATCHED_ROUTE, status_code: String(statusCode) };
      requests.inc(labels);
      duration.observe(labels, durationSeconds);
    },
    taskCreated: () => tasksCreated.inc(),
  };
}
