import { readFile } from 'node:fs/promises';
import { verdictOf } from './results-table.js';
import type { BenchResults, ScenarioResult } from './runner.js';

/** What `pnpm bench` writes to bench/results/: the results and the command that produced them. */
export interface SavedResults extends BenchResults {
  command: string;
}

/** Reads a results file, its times as Dates again. */
export async function readSavedResults(path: string): Promise<SavedResults> {
  const saved = JSON.parse(await readFile(path, 'utf8')) as SavedResults;
  if (!Array.isArray(saved.scenarios) || typeof saved.command !== 'string') {
    throw new Error(`${path} is not a results file of pnpm bench (no scenarios or command)`);
  }
  return { ...saved, startedAt: new Date(saved.startedAt), finishedAt: new Date(saved.finishedAt) };
}

/**
 * Several runs of `pnpm bench` as one set of results, for the docs: each scenario from the last file that ran it, in
 * the suite's order; the other programs' CPU is the busiest run's (the page must not look quieter than any run was).
 * Lets a long scenario (the 10-minute memory run) be run on its own and still stand in the one table. The command
 * names each run, the scenarios it gave and how busy the machine was during it.
 */
export function mergeResults(runs: readonly SavedResults[], order: readonly string[]): { results: BenchResults; command: string } {
  if (runs.length === 0) throw new Error('no results to merge');
  const byName = new Map<string, { scenario: ScenarioResult; run: SavedResults }>();
  for (const run of runs) for (const scenario of run.scenarios) byName.set(scenario.name, { scenario, run });
  const rank = (name: string): number => (order.includes(name) ? order.indexOf(name) : order.length);
  const picked = [...byName.values()].sort((a, b) => rank(a.scenario.name) - rank(b.scenario.name));
  const scenarios = picked.map(({ scenario }) => scenario);
  const measurements = scenarios.flatMap((scenario) => scenario.measurements);
  const used = runs.filter((run) => picked.some((entry) => entry.run === run));
  const command = used
    .map((run) => {
      const names = picked.filter((entry) => entry.run === run).map((entry) => entry.scenario.name);
      return `\`${run.command}\` (${names.join(', ')}; other programs used ${run.foreignCpu.averageCores.toFixed(2)} CPUs)`;
    })
    .join(' and ');
  const busiest = used.reduce((a, b) => (b.foreignCpu.averageCores > a.foreignCpu.averageCores ? b : a));
  return {
    command,
    results: {
      startedAt: new Date(Math.min(...used.map((run) => run.startedAt.getTime()))),
      finishedAt: new Date(Math.max(...used.map((run) => run.finishedAt.getTime()))),
      size: used[0]!.size,
      machine: used[0]!.machine,
      foreignCpu: busiest.foreignCpu,
      scenarios,
      measurements,
      passed: measurements.every((measurement) => verdictOf(measurement) !== 'FAIL'),
    },
  };
}
