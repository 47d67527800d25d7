import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type CollectFunction } from 'prom-client';
import type { MetricDefinition } from './catalog.js';

/**
 * A registry of its own (never prom-client's global one, so two apps in one test process never share state) with
 * prom-client's default process metrics: CPU, memory, event-loop lag, GC, handles.
 */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

type Definition<Type extends MetricDefinition['type']> = MetricDefinition & { type: Type };

function base(registry: Registry, definition: MetricDefinition) {
  return { name: definition.name, help: definition.help, labelNames: definition.labelNames, registers: [registry] };
}

export function defineCounter(registry: Registry, definition: Definition<'counter'>): Counter {
  return new Counter(base(registry, definition));
}

export function defineGauge(registry: Registry, definition: Definition<'gauge'>, collect?: CollectFunction<Gauge>): Gauge {
  return new Gauge({ ...base(registry, definition), ...(collect ? { collect } : {}) });
}

export function defineHistogram(registry: Registry, definition: Definition<'histogram'>): Histogram {
  return new Histogram({ ...base(registry, definition), buckets: [...(definition.buckets ?? [])] });
}
