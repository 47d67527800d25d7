import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeResults, readSavedResults, type SavedResults } from '../../bench/merged-results.js';
import type { ScenarioResult } from '../../bench/runner.js';

const MACHINE = { cpus: 2, cpuModel: 'test cpu', memoryGiB: 1, node: 'v24', postgres: '15', redis: '7' };

function scenario(name: string, value: number): ScenarioResult {
  return {
    name,
    title: name,
    runs: [],
    chart: [],
    measurements: [{ scenario: name, metric: 'figure', value, unit: '/s', target: { op: '>=', value: 10 } }],
  };
}

function saved(command: string, startedAt: string, foreignCores: number, scenarios: ScenarioResult[]): SavedResults {
  const measurements = scenarios.flatMap((entry) => entry.measurements);
  return {
    command,
    startedAt: new Date(startedAt),
    finishedAt: new Date(new Date(startedAt).getTime() + 60_000),
    size: 'full',
    machine: MACHINE,
    foreignCpu: { averageCores: foreignCores, seconds: 60 },
    scenarios,
    measurements,
    passed: true,
  };
}

describe('pnpm bench --docs-from', () => {
  it('takes each scenario from the last run that has it, in the suite order, and names each run', () => {
    const all = saved('pnpm bench --runs 3', '2026-12-03T05:00:00Z', 0.05, [scenario('create', 20), scenario('drain', 5)]);
    const memory = saved('pnpm bench memory drain --runs 1', '2026-12-03T04:00:00Z', 0.4, [scenario('drain', 30), scenario('memory', 50)]);
    const unused = saved('pnpm bench lone', '2026-12-03T03:00:00Z', 1.5, [scenario('lone', 1)]);
    const later = saved('pnpm bench lone --runs 3', '2026-12-03T06:00:00Z', 0.01, [scenario('lone', 12)]);

    const { results, command } = mergeResults([unused, all, memory, later], ['create', 'drain', 'lone', 'memory']);

    expect(results.scenarios.map((entry) => [entry.name, entry.measurements[0]!.value])).toEqual([
      ['create', 20],
      ['drain', 30],
      ['lone', 12],
      ['memory', 50],
    ]);
    expect(results.measurements.map((measurement) => measurement.scenario)).toEqual(['create', 'drain', 'lone', 'memory']);
    expect(command).toBe(
      '`pnpm bench --runs 3` (create; other programs used 0.05 CPUs) and `pnpm bench memory drain --runs 1` (drain, memory; ' +
        'other programs used 0.40 CPUs) and `pnpm bench lone --runs 3` (lone; other programs used 0.01 CPUs)',
    );
    // The busiest run that contributed, not the one whose scenario was replaced.
    expect(results.foreignCpu.averageCores).toBe(0.4);
    expect(results.startedAt.toISOString()).toBe('2026-12-03T04:00:00.000Z');
    expect(results.passed).toBe(true);
  });

  it('fails when a merged figure misses its target', () => {
    const { results } = mergeResults([saved('pnpm bench', '2026-12-03T05:00:00Z', 0, [scenario('drain', 5)])], ['drain']);
    expect(results.passed).toBe(false);
  });

  it('reads a results file back with its times as dates, and refuses a file without a command', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'punctual-bench-merge-'));
    try {
      const file = join(dir, 'results.json');
      await writeFile(file, JSON.stringify(saved('pnpm bench', '2026-12-03T05:00:00Z', 0, [scenario('drain', 50)])));
      const read = await readSavedResults(file);
      expect(read.startedAt).toEqual(new Date('2026-12-03T05:00:00Z'));
      expect(read.scenarios[0]!.name).toBe('drain');

      const older = join(dir, 'older.json');
      const { command: _command, ...withoutCommand } = saved('pnpm bench', '2026-12-03T05:00:00Z', 0, []);
      await writeFile(older, JSON.stringify(withoutCommand));
      await expect(readSavedResults(older)).rejects.toThrow(/not a results file of pnpm bench/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
