/** One measured number, with the target it must meet (none: reported only). */
export interface Measurement {
  scenario: string;
  metric: string;
  /** NaN or null when it could not be measured (which fails a target). */
  value: number | null;
  unit: string;
  /**
   * The same figure for a baseline measured in the same run (e.g. `A`, the bare Fastify route), shown beside it with
   * the ratio value / baseline.
   */
  baseline?: { label: string; value: number | null };
  /** What the value must meet; with `ratio`, what value / baseline.value must meet. */
  target?: { op: '<' | '<=' | '>=' | '='; value: number; ratio?: boolean };
}

export type Verdict = 'pass' | 'FAIL' | '';

export function verdictOf(measurement: Measurement): Verdict {
  const { target } = measurement;
  if (!target) return '';
  const value = target.ratio ? ratioOf(measurement) : measurement.value;
  if (value === null || Number.isNaN(value)) return 'FAIL';
  const met =
    target.op === '<'
      ? value < target.value
      : target.op === '<='
        ? value <= target.value
        : target.op === '>='
          ? value >= target.value
          : value === target.value;
  return met ? 'pass' : 'FAIL';
}

/** value / baseline value, or null when either is missing. */
export function ratioOf(measurement: Measurement): number | null {
  const { value, baseline } = measurement;
  if (value === null || !baseline || baseline.value === null || baseline.value === 0) return null;
  return value / baseline.value;
}

/** A plain-text table, one row per measurement, scenarios separated by a blank line. */
export function formatTable(measurements: readonly Measurement[]): string {
  const rows = measurements.map((m) => [
    m.scenario,
    m.metric,
    `${formatNumber(m.value)} ${m.unit}`.trim(),
    m.target ? `${m.target.op} ${formatNumber(m.target.value)} ${m.unit}`.trim() : '',
    verdictOf(m),
  ]);
  const header = ['scenario', 'metric', 'measured', 'target', ''];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column === 2 || column === 3 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((width) => '-'.repeat(width)).join('  ')];
  rows.forEach((row, index) => {
    if (index > 0 && row[0] !== rows[index - 1]![0]) out.push('');
    out.push(line(row));
  });
  return out.join('\n');
}

function formatNumber(value: number | null): string {
  if (value === null || Number.isNaN(value)) return 'n/a';
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}
