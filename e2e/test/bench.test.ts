import { readdir, readFile } from 'node:fs/promises';
import { withDatabase, withPostgresClient } from '@punctual/testing';
import { withRedis } from '@punctual/queue';
import { describe, expect, inject, it } from 'vitest';
import { benchEnvironmentsCreated } from '../../bench/bench-environment.js';
import { runBench } from '../../bench/runner.js';
import { SCENARIOS } from '../../bench/scenarios/index.js';

/** The pids of this process's descendants that are still alive. */
async function descendants(): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    if (stat === null) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie has exited; its parent just has not reaped it yet.
    if (fields[0] !== 'Z') parents.set(Number(name), Number(fields[1]));
  }
  const isDescendant = (pid: number): boolean => {
    for (let current = parents.get(pid); current !== undefined && current > 1; current = parents.get(current)) {
      if (current === process.pid) return true;
    }
    return false;
  };
  return [...parents.keys()].filter(isDescendant);
}

/** Databases and queue keys of the bench's environments that are still there. */
async function leftovers(): Promise<string[]> {
  const environments = benchEnvironmentsCreated();
  const databases = await withPostgresClient(withDatabase(inject('databaseUrl'), 'postgres'), (client) =>
    client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = ANY($1)', [environments.map((e) => e.database)]),
  );
  const keys = await withRedis(inject('redisUrl'), async (redis) => {
    const found: string[] = [];
    for (const environment of environments) found.push(...(await redis.keys(`${environment.queuePrefix}:*`)));
    return found;
  });
  return [...databases.rows.map((row) => `database ${row.datname}`), ...keys.map((key) => `key ${key}`)];
}

// Each scenario once at its tiny size: the suite still works end to end. Speed is `pnpm bench`'s business, not a test's.
describe('pnpm bench --tiny', () => {
  for (const scenario of SCENARIOS) {
    it(`runs ${scenario.name}, measures every figure it has a target for and leaves nothing behind`, { timeout: 330_000 }, async () => {
      const results = await runBench({
        scenarios: [scenario],
        size: 'tiny',
        options: { databaseUrl: inject('databaseUrl'), redisUrl: inject('redisUrl') },
      });

      const [result] = results.scenarios;
      expect(result!.runs.map((run) => run.error ?? 'ok')).toEqual(['ok']);
      expect(result!.measurements.length).toBeGreaterThan(0);
      for (const measurement of result!.measurements) {
        const label = `${measurement.scenario} ${measurement.metric}`;
        if (measurement.target) expect(Number.isFinite(measurement.value), label).toBe(true);
        if (measurement.baseline) expect(Number.isFinite(measurement.baseline.value), `${label} (baseline)`).toBe(true);
      }
      for (const point of result!.chart) expect(Number.isFinite(point.throughputPerSecond), `${point.chart} ${point.series}`).toBe(true);
      expect(benchEnvironmentsCreated().length).toBeGreaterThan(0);
      expect(await descendants()).toEqual([]);
      expect(await leftovers()).toEqual([]);
    });
  }
});
