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
  /**
   * Over several runs, take the run furthest from the target instead of the median: for checks (every task called
   * exactly once, nothing lost), where one bad run is a failure.
   */
  worstOfRuns?: boolean;
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

const OPERATORS = { '<': '<', '<=': '≤', '>=': '≥', '=': '=' } as const;

/** The cells of one row: scenario, metric, Punctual's value, the baseline's, the ratio, the target, the verdict. */
function cellsOf(m: Measurement): string[] {
  const ratio = ratioOf(m);
  const withUnit = (value: number | null): string => `${formatNumber(value)} ${m.unit}`.trim();
  const target = !m.target
    ? ''
    : m.target.ratio
      ? `${OPERATORS[m.target.op]} ${formatNumber(m.target.value)} × ${m.baseline?.label ?? 'baseline'}`
      : `${OPERATORS[m.target.op]} ${withUnit(m.target.value)}`;
  return [
    m.scenario,
    m.metric,
    withUnit(m.value),
    m.baseline ? `${m.baseline.label}: ${withUnit(m.baseline.value)}` : '',
    ratio === null ? '' : `${ratio.toFixed(2)}×`,
    target,
    verdictOf(m),
  ];
}

const HEADER = ['scenario', 'metric', 'Punctual', 'baseline', 'ratio', 'target', ''];
/** Numbers are right-aligned. */
const NUMERIC_COLUMNS = new Set([2, 3, 4]);

/** A plain-text table, one row per measurement, scenarios separated by a blank line. */
export function formatTable(measurements: readonly Measurement[]): string {
  const rows = measurements.map(cellsOf);
  const widths = HEADER.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (NUMERIC_COLUMNS.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  const out = [line(HEADER), widths.map((width) => '-'.repeat(width)).join('  ')];
  rows.forEach((row, index) => {
    if (index > 0 && row[0] !== rows[index - 1]![0]) out.push('');
    out.push(line(row));
  });
  return out.join('\n');
}

/** The same table in Markdown, the scenario named on its first row only. */
export function formatMarkdownTable(measurements: readonly Measurement[]): string {
  const rows = measurements.map(cellsOf);
  const line = (cells: string[]): string => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  const align = HEADER.map((_, column) => (NUMERIC_COLUMNS.has(column) ? '---:' : '---'));
  return [
    line(['scenario', 'metric', 'Punctual', 'baseline', 'ratio', 'target', 'verdict']),
    `| ${align.join(' | ')} |`,
    ...rows.map((row, index) => line(index > 0 && row[0] === rows[index - 1]![0] ? ['', ...row.slice(1)] : row)),
  ].join('\n');
}

function formatNumber(value: number | null): string {
  if (value === null || Number.isNaN(value)) return 'n/a';
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value >= 10 ? value.toFixed(1) : value.toFixed(2);
}
