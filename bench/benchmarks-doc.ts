import { mkdir, writeFile } from 'node:fs/promises';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { formatMarkdownTable } from './results-table.js';
import type { BenchResults } from './runner.js';
import type { ChartPoint } from './scenario.js';

const DOCS_DIR = new URL('../docs/', import.meta.url);

/** What the baselines are, for the page (the scripts are in bench/baselines/). */
const BASELINES = [
  '**A** (`bench/baselines/create-route.ts`): a bare Fastify 5 route that INSERTs the posted task into a table of its ' +
    'own and adds one BullMQ job (`queue.add`): no authentication, validation or logging. Same requests and load as ' +
    "Punctual's `POST /api/v1/tasks`.",
  '**B** (`bench/baselines/drain-worker.ts`): a bare BullMQ worker, concurrency 50, whose processor makes one undici ' +
    'request to the local target and writes nothing.',
  '**C**: the same worker, also writing a log row (INSERT) and updating the task row (UPDATE) with two autocommit ' +
    'statements through `pg`: the least a scheduler that keeps its state in Postgres must do per call.',
];

/**
 * Writes docs/benchmarks.md (the machine, the date, how it was measured: `measuredWith`, markdown naming the command or
 * commands; the table, what each scenario and baseline does) and
 * docs/benchmarks.svg (throughput and p99 against offered load, from the runs' chart points).
 */
export async function writeBenchmarksDoc(results: BenchResults, measuredWith: string): Promise<string[]> {
  await mkdir(DOCS_DIR, { recursive: true });
  const points = results.scenarios.flatMap((scenario) => scenario.chart);
  const files = [new URL('benchmarks.md', DOCS_DIR)];
  await writeFile(files[0]!, benchmarksPage(results, measuredWith, points.length > 0));
  if (points.length > 0) {
    files.push(new URL('benchmarks.svg', DOCS_DIR));
    await writeFile(files[1]!, await renderChart(points));
  }
  return files.map((file) => file.pathname);
}

function benchmarksPage(results: BenchResults, measuredWith: string, hasChart: boolean): string {
  const { machine, foreignCpu } = results;
  const runs = Math.max(...results.scenarios.map((scenario) => scenario.runs.length));
  const lines = [
    '# Benchmarks',
    '',
    `Measured with ${measuredWith} on ${results.startedAt.toISOString().slice(0, 10)}: ${machine.cpus} × ${machine.cpuModel}, ` +
      `${machine.memoryGiB} GiB, Node ${machine.node}, Postgres ${machine.postgres}, Redis ${machine.redis}. Everything ` +
      '(Postgres, Redis, the API, the worker, the baselines, the target and the load generator) ran on that one machine. ' +
      `Other programs used ${foreignCpu.averageCores.toFixed(2)} of its ${machine.cpus} CPUs on average during the run.`,
    '',
    `Each figure is the median of ${runs === 1 ? 'one run' : `up to ${runs} runs`} (checks such as "called exactly once" take ` +
      'the worst run); a baseline runs in the same run as Punctual, just before it, so a busy machine slows both ' +
      'alike, and the ratio is Punctual / baseline. `pnpm bench` exits 1 when a target is missed.',
    '',
    formatMarkdownTable(results.measurements),
    '',
  ];
  if (hasChart) lines.push('![Throughput and p99 latency against offered load](benchmarks.svg)', '');
  lines.push('Where the time goes, and why the targets that are missed are missed: [performance.md](performance.md).', '');
  lines.push('## Scenarios', '');
  for (const scenario of results.scenarios) {
    lines.push(`- **${scenario.name}**: ${scenario.description ?? scenario.title}`);
  }
  lines.push('', '## Baselines', '', ...BASELINES.map((line) => `- ${line}`), '');
  lines.push(
    '## Running it',
    '',
    '```sh',
    'pnpm bench                    # every scenario, 3 runs each; exits 1 when a target is missed',
    'pnpm bench drain --runs 1     # one scenario, once',
    'pnpm bench --tiny             # every scenario at a tiny size (what `pnpm test` runs): checks the harness, not speed',
    'pnpm bench --write-docs       # also rewrites this page and its chart',
    '```',
    '',
    'Each run has a database and queue prefix of its own on the local Postgres and Redis (or `DATABASE_URL`, ' +
      '`REDIS_URL`), which are dropped when it ends; results go to `bench/results/<time>.json`.',
    '',
  );
  return lines.join('\n');
}

/** Two panels per chart (throughput, p99) against the offered rate, one line per series; SVG rendered headless. */
export async function renderChart(points: readonly ChartPoint[]): Promise<string> {
  const values = points.flatMap((point) => [
    {
      chart: point.chart,
      series: point.series,
      offered: point.offeredPerSecond,
      measure: 'throughput (/s)',
      value: point.throughputPerSecond,
    },
    { chart: point.chart, series: point.series, offered: point.offeredPerSecond, measure: 'p99 latency (ms)', value: point.p99Ms },
  ]);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: values.filter((value) => Number.isFinite(value.value)) },
    facet: {
      row: { field: 'chart', type: 'nominal', title: null, header: { labelFontWeight: 'bold', labelFontSize: 12 } },
      column: { field: 'measure', type: 'nominal', title: null, header: { labelFontSize: 12 } },
    },
    spec: {
      width: 320,
      height: 200,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'offered', type: 'quantitative', title: 'offered load (/s)' },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'series', type: 'nominal', title: null },
      },
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
    config: { font: 'sans-serif' },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
