import { readFileSync } from 'node:fs';
import { parsePrometheusText } from '@punctual/testing';
import { describe, expect, it } from 'vitest';
import { createApiMetrics, createWorkerMetrics, METRICS } from '../src/index.js';

interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  templating: { list: Array<{ name: string; type: string; query: string }> };
  panels: Panel[];
}

const dashboard = JSON.parse(
  readFileSync(new URL('../../../infra/grafana/dashboards/punctual.json', import.meta.url), 'utf8'),
) as Dashboard;
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]).filter((panel) => panel.type !== 'row');
const targets = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, ...target })));

/** Every series name the API and a worker expose: their registries' metrics, histograms with their three series. */
async function exposedSeries(): Promise<Set<string>> {
  const registries = [createApiMetrics().registry, createWorkerMetrics({ jobCounts: async () => ({}) }).registry];
  const names = new Set<string>();
  for (const registry of registries) {
    // What /metrics shows: each family's # TYPE line, also for metrics without a sample yet.
    for (const [name, type] of parsePrometheusText(await registry.metrics()).types) {
      const suffixes = type === 'histogram' ? ['_bucket', '_sum', '_count'] : type === 'summary' ? ['', '_sum', '_count'] : [''];
      for (const suffix of suffixes) names.add(`${name}${suffix}`);
    }
  }
  return names;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset']);

/** The metric names a PromQL expression reads: identifiers outside label matchers, groupings and ranges, not called. */
function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [];
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = bare.slice(match.index + match[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(match[0]) || /^(Inf|NaN)$/i.test(match[0])) continue;
    names.push(match[0]);
  }
  return names;
}

describe('the Grafana dashboard (infra/grafana/dashboards/punctual.json)', () => {
  it('reads PromQL names the way the check below relies on', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.95, sum by (le, route) (rate(punctual_http_request_duration_seconds_bucket{route=~"/a.*"}[5m])))',
      ),
    ).toEqual(['punctual_http_request_duration_seconds_bucket']);
    expect(metricNamesIn('sum(rate(a_total{x="1"}[$__rate_interval])) / sum(rate(b_total[5m])) and on (job) c')).toEqual([
      'a_total',
      'b_total',
      'c',
    ]);
  });

  it('names only metrics the API and the worker expose, in every panel', async () => {
    const exposed = await exposedSeries();
    expect(targets.length).toBeGreaterThan(10);
    for (const target of targets) {
      const names = metricNamesIn(target.expr);
      expect(names.length, `${target.panel}: ${target.expr}`).toBeGreaterThan(0);
      for (const name of names) expect([...exposed], `${target.panel}: ${target.expr}`).toContain(name);
    }
  });

  it("shows every one of Punctual's own metrics", () => {
    const shown = new Set(targets.flatMap((target) => metricNamesIn(target.expr)));
    const missing = Object.values(METRICS).filter(
      (metric) => ![metric.name, `${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`].some((name) => shown.has(name)),
    );
    expect(missing.map((metric) => metric.name)).toEqual([]);
  });

  it('takes its data source from a Prometheus data source variable, in every panel and query', () => {
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    for (const panel of panels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const target of panel.targets ?? []) expect(target.datasource, panel.title).toEqual(panel.datasource);
    }
  });

  it('has a stable uid, unique panel ids, and panels that fit the 24-column grid without overlapping', () => {
    expect(dashboard.uid).toBe('punctual');
    const all = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
    expect(new Set(all.map((panel) => panel.id)).size).toBe(all.length);
    for (const panel of all) expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    const cells = new Set<string>();
    for (const panel of all) {
      for (let row = panel.gridPos.y; row < panel.gridPos.y + panel.gridPos.h; row += 1) {
        for (let column = panel.gridPos.x; column < panel.gridPos.x + panel.gridPos.w; column += 1) {
          const cell = `${row}:${column}`;
          expect(cells.has(cell), `${panel.title} overlaps at ${cell}`).toBe(false);
          cells.add(cell);
        }
      }
    }
  });
});
