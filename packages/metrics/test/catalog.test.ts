import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../src/index.js';

/** The rows of the README's `### Metrics` table: name, type, label names. */
function readmeRows(): Array<{ name: string; type: string; labels: string[] }> {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Metrics'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| metric |')));
  return table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [name, type, labels] = line
        .split('|')
        .slice(1, 4)
        .map((cell) => cell.trim());
      return {
        name: name!.replaceAll('`', ''),
        type: type!,
        // `a`, `b` lists label names; `a` = `x`, `y` is one label with its values.
        labels: (labels!.includes('=') ? [labels!.split('=')[0]!] : labels!.split(','))
          .map((label) => label.trim().replaceAll('`', ''))
          .filter((label) => label !== '—'),
      };
    });
}

describe('the metric catalog', () => {
  it('uses the punctual_ prefix, snake case, _total on counters only and _seconds on histograms', () => {
    for (const metric of Object.values(METRICS)) {
      expect(metric.name).toMatch(/^punctual_[a-z_]+$/);
      expect(metric.name.endsWith('_total'), metric.name).toBe(metric.type === 'counter');
      if (metric.type === 'histogram') expect(metric.name).toMatch(/_seconds$/);
    }
  });

  it('is what the README documents: every name, with its type and labels', () => {
    const documented = readmeRows();
    const defined = Object.values(METRICS).map((metric) => ({ name: metric.name, type: metric.type, labels: [...metric.labelNames] }));

    expect(documented).toEqual(defined);
  });
});
