import pg from 'pg';
import { withDatabase } from '@punctual/testing';
import type { BenchOptions } from './bench-options.js';
import { startForeignCpuMeter, type ForeignCpu } from './foreign-cpu-meter.js';
import { describeMachine, type MachineDescription } from './machine.js';
import { formatTable, verdictOf, type Measurement } from './results-table.js';
import type { BenchSize, ChartPoint, Scenario, ScenarioRun } from './scenario.js';
import { median } from './statistics.js';

/** One run of one scenario, as it went. */
export interface RunRecord {
  run: number;
  startedAt: Date;
  durationMs: number;
  /** Why the run produced no results: what it threw, or that it passed its deadline. */
  error?: string;
  result?: ScenarioRun;
}

/** A scenario's runs and what they add up to: the median of each measurement and chart point over the runs. */
export interface ScenarioResult {
  name: string;
  title: string;
  description?: string;
  runs: RunRecord[];
  measurements: Measurement[];
  chart: ChartPoint[];
}

export interface BenchResults {
  startedAt: Date;
  finishedAt: Date;
  size: BenchSize;
  machine: MachineDescription;
  /** How much CPU other programs took meanwhile: on a shared machine the numbers are only as good as that. */
  foreignCpu: ForeignCpu;
  scenarios: ScenarioResult[];
  /** Every scenario's measurements, in order: the table. */
  measurements: Measurement[];
  /** No target missed and no run failed. */
  passed: boolean;
}

export interface RunBenchOptions {
  scenarios: readonly Scenario[];
  size: BenchSize;
  options: BenchOptions;
  /** Runs of each scenario; a scenario's own `runs` wins (default 3, or 1 at the tiny size). */
  runs?: number;
  /** How long one run may take before it is stopped and reported as failed (default 15 min, 4 min tiny). */
  runDeadlineMs?: number;
  log?: (message: string) => void;
  /** Aborting stops the run in progress (its teardown runs) and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Runs each scenario `runs` times, one run at a time, each with a teardown of its own that runs however the run ends
 * (its processes stopped, its database dropped, its keys deleted), and combines the runs into medians.
 */
export async function runBench(options: RunBenchOptions): Promise<BenchResults> {
  const log = options.log ?? (() => {});
  const startedAt = new Date();
  const foreignCpuMeter = startForeignCpuMeter();
  const machine = await describeServers(options.options);
  const scenarios: ScenarioResult[] = [];
  let foreignCpu: ForeignCpu;
  try {
    for (const scenario of options.scenarios) {
      const runs = options.size === 'tiny' ? 1 : (scenario.runs ?? options.runs ?? 3);
      const records: RunRecord[] = [];
      for (let run = 1; run <= runs; run++) {
        log(`${scenario.name} (${scenario.title}): run ${run} of ${runs}`);
        records.push(await runOnce(scenario, run, options, log));
      }
      scenarios.push(combineRuns(scenario, records));
    }
  } finally {
    foreignCpu = await foreignCpuMeter.stop();
  }
  const measurements = scenarios.flatMap((scenario) => scenario.measurements);
  return {
    startedAt,
    finishedAt: new Date(),
    size: options.size,
    machine,
    foreignCpu,
    scenarios,
    measurements,
    passed: measurements.every((measurement) => verdictOf(measurement) !== 'FAIL'),
  };
}

async function describeServers(options: BenchOptions): Promise<MachineDescription> {
  const pool = new pg.Pool({ connectionString: withDatabase(options.databaseUrl, 'postgres'), max: 1 });
  try {
    return await describeMachine(pool, options.redisUrl);
  } finally {
    await pool.end();
  }
}

/**
 * A teardown that, once it has run, runs any step added later at once: a run stopped at its deadline may still be
 * starting something, which must not outlive it.
 */
class RunTeardown extends Array<() => Promise<unknown>> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
  private done = false;
  private readonly late: Promise<unknown>[] = [];

  override push(...steps: (() => Promise<unknown>)[]): number {
    if (!this.done) return super.push(...steps);
    for (const step of steps) this.late.push(step().catch(() => {}));
    return this.length;
  }

  /** Last in, first out; a step that fails is logged and the others still run. Waits for late steps too. */
  async run(log: (message: string) => void): Promise<void> {
    this.done = true;
    while (this.length > 0) {
      const step = this.pop()!;
      await step().catch((error: unknown) => log(`cleanup step failed: ${String(error)}`));
    }
    await Promise.all(this.late.splice(0));
  }
}

/** How long a stopped run may go on starting what it had begun (whose clean-up then runs at once). */
const SETTLE_AFTER_STOP_MS = 30_000;

async function runOnce(scenario: Scenario, run: number, options: RunBenchOptions, log: (message: string) => void): Promise<RunRecord> {
  const startedAt = new Date();
  const teardown = new RunTeardown();
  const deadlineMs = options.runDeadlineMs ?? (options.size === 'tiny' ? 240_000 : 900_000);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stopped at its deadline, ${deadlineMs / 1_000} s`)), deadlineMs);
    onAbort = () => {
      const reason: unknown = options.signal!.reason;
      reject(reason instanceof Error ? reason : new Error(String(reason)));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  const running = scenario.run({
    options: options.options,
    size: options.size,
    run,
    log: (message) => log(`${scenario.name}: ${message}`),
    teardown,
  });
  try {
    const result = await Promise.race([running, stopped]);
    // The run's own figures as they come: a long bench shows progress, and a stopped one keeps what it measured.
    log(`${scenario.name}: run ${run}:\n${formatTable(result.measurements)}`);
    return { run, startedAt, durationMs: Date.now() - startedAt.getTime(), result };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const message = error instanceof Error ? error.message : String(error);
    log(`${scenario.name}: run ${run} failed: ${message}`);
    return { run, startedAt, durationMs: Date.now() - startedAt.getTime(), error: message };
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    const cleanupLog = (message: string): void => log(`${scenario.name}: ${message}`);
    await teardown.run(cleanupLog);
    // A run stopped half-way may still be creating a database or starting a process: let it get there, and clean
    // that up too, rather than leave it behind.
    let settleTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      running.catch(() => {}),
      new Promise((resolve) => {
        settleTimer = setTimeout(resolve, SETTLE_AFTER_STOP_MS);
      }),
    ]);
    clearTimeout(settleTimer);
    await teardown.run(cleanupLog);
  }
}

/** The medians over the runs that finished, plus a failing row when any run did not. */
function combineRuns(scenario: Scenario, records: RunRecord[]): ScenarioResult {
  const results = records.flatMap((record) => (record.result ? [record.result] : []));
  const measurements = combineMeasurements(results.map((result) => result.measurements));
  const failed = records.filter((record) => record.error !== undefined);
  if (failed.length > 0 || results.length === 0) {
    measurements.push({
      scenario: scenario.name,
      metric: `runs failed${failed[0] ? ` (${failed[0].error!.split('\n')[0]!.slice(0, 80)})` : ''}`,
      value: failed.length,
      unit: '',
      target: { op: '=', value: 0 },
    });
  }
  return {
    name: scenario.name,
    title: scenario.title,
    ...(scenario.description ? { description: scenario.description } : {}),
    runs: records,
    measurements,
    chart: combineChart(results.flatMap((result) => result.chart ?? [])),
  };
}

/** One measurement per (scenario, metric), in the order first seen: the median over runs, or the worst for checks. */
export function combineMeasurements(runs: readonly Measurement[][]): Measurement[] {
  const groups = new Map<string, Measurement[]>();
  for (const measurement of runs.flat()) {
    const key = `${measurement.scenario}\u0000${measurement.metric}`;
    groups.set(key, [...(groups.get(key) ?? []), measurement]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0]!;
    const pick = first.worstOfRuns ? worst : middle;
    const combined: Measurement = {
      ...first,
      value: pick(
        group.map((m) => m.value),
        first,
      ),
    };
    if (first.baseline) combined.baseline = { label: first.baseline.label, value: middle(group.map((m) => m.baseline?.value ?? null)) };
    return combined;
  });
}

/** The median, or null when any run could not measure it (a value a run failed to produce fails the target). */
function middle(values: (number | null)[]): number | null {
  if (values.some((value) => value === null || Number.isNaN(value))) return null;
  return median(values as number[]);
}

/** The value furthest on the wrong side of the target (without a target: the median). */
function worst(values: (number | null)[], measurement: Measurement): number | null {
  const { target } = measurement;
  if (!target || target.ratio) return middle(values);
  if (values.some((value) => value === null || Number.isNaN(value))) return null;
  const numbers = values as number[];
  if (target.op === '>=') return Math.min(...numbers);
  if (target.op === '=')
    return numbers.reduce((far, value) => (Math.abs(value - target.value) > Math.abs(far - target.value) ? value : far));
  return Math.max(...numbers);
}

/** The median throughput and p99 of each (chart, series, offered load) over the runs. */
function combineChart(points: readonly ChartPoint[]): ChartPoint[] {
  const groups = new Map<string, ChartPoint[]>();
  for (const point of points) {
    const key = `${point.chart}\u0000${point.series}\u0000${point.offeredPerSecond}`;
    groups.set(key, [...(groups.get(key) ?? []), point]);
  }
  return [...groups.values()].map((group) => ({
    ...group[0]!,
    throughputPerSecond: median(group.map((point) => point.throughputPerSecond)),
    p99Ms: median(group.map((point) => point.p99Ms)),
  }));
}
