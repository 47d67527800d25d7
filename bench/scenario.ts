import type { Teardown } from './bench-main.js';
import type { BenchOptions } from './bench-options.js';
import type { Measurement } from './results-table.js';

/** `full`: the sizes `pnpm bench` measures. `tiny`: the smoke test in `pnpm test` (seconds, never judged on speed). */
export type BenchSize = 'full' | 'tiny';

/** What a scenario gets for one run. */
export interface ScenarioContext {
  options: BenchOptions;
  size: BenchSize;
  /** 1-based number of this run among the scenario's runs. */
  run: number;
  log(message: string): void;
  /** Clean-up steps of this run; they run last in, first out when the run ends, however it ends. */
  teardown: Teardown;
}

/** One point of the chart: what a system did at one offered load. */
export interface ChartPoint {
  /** The line it belongs to, e.g. `Punctual` or `baseline A`. */
  series: string;
  /** The chart it belongs to, e.g. `create` or `end to end`. */
  chart: string;
  offeredPerSecond: number;
  throughputPerSecond: number;
  p99Ms: number;
}

/** One run's results. The runner takes the median of each measurement (same scenario and metric) over the runs. */
export interface ScenarioRun {
  measurements: Measurement[];
  chart?: ChartPoint[];
  /** Anything worth keeping in the JSON results. */
  raw?: unknown;
}

/** A bench scenario: `pnpm bench <name>` runs it alone. */
export interface Scenario {
  name: string;
  /** One line for the table and `pnpm bench --help`. */
  title: string;
  /** What it does and what it is compared with, for docs/benchmarks.md (default: the title). */
  description?: string;
  /** Runs in a full bench, for the median (default: the bench's `runs` option). Long scenarios run once. */
  runs?: number;
  run(context: ScenarioContext): Promise<ScenarioRun>;
}
