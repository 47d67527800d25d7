import { parseArgs } from 'node:util';
import { writeResults } from './bench-main.js';
import { readBenchOptions } from './bench-options.js';
import { writeBenchmarksDoc } from './benchmarks-doc.js';
import { mergeResults, readSavedResults } from './merged-results.js';
import { formatTable } from './results-table.js';
import { runBench, type BenchResults } from './runner.js';
import { SCENARIOS } from './scenarios/index.js';

const USAGE = `pnpm bench [scenario ...] [--runs N] [--tiny] [--write-docs]
pnpm bench --docs-from FILE [--docs-from FILE ...]

Runs Punctual's benchmarks beside their baselines and prints each figure, its baseline, the ratio and the target.
Exits 1 when a target is missed. Results: bench/results/<time>.json.

  scenario      one or more of the names below (default: all, in this order)
  --runs N      runs of each scenario, for the median (default: BENCH_RUNS or 3; a scenario may run fewer)
  --tiny        tiny sizes, one run: checks the harness works (what pnpm test does), never judged on speed
  --write-docs  also writes docs/benchmarks.md and docs/benchmarks.svg
  --docs-from   runs nothing: writes the docs from earlier results files (each scenario from the last file that has
                it), so a long scenario run on its own stands in the same table; exits 1 when a target is missed

Scenarios:
${SCENARIOS.map((scenario) => `  ${scenario.name.padEnd(10)}  ${scenario.title}`).join('\n')}

DATABASE_URL and REDIS_URL name the servers (default: the local ones).`;

const log = (message: string): void => console.error(`[bench] ${message}`);

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      runs: { type: 'string' },
      tiny: { type: 'boolean', default: false },
      'write-docs': { type: 'boolean', default: false },
      'docs-from': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values['docs-from']) return writeDocsFrom(values['docs-from']);
  const unknown = positionals.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) {
    console.error(`unknown scenario(s): ${unknown.join(', ')}\n\n${USAGE}`);
    return 2;
  }
  const runs = Number(values.runs ?? process.env.BENCH_RUNS ?? 3);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`--runs must be a whole number ≥ 1, got "${values.runs ?? process.env.BENCH_RUNS}"`);
    return 2;
  }
  const scenarios = positionals.length === 0 ? SCENARIOS : SCENARIOS.filter((scenario) => positionals.includes(scenario.name));

  // Ctrl-C stops the run in progress through its teardown; a second one leaves at once (the children die with us).
  const interrupt = new AbortController();
  process.once('SIGINT', () => {
    log('interrupted: stopping the run in progress and cleaning up (Ctrl-C again to leave at once)');
    process.once('SIGINT', () => process.exit(130));
    interrupt.abort(new Error('interrupted'));
  });

  const results = await runBench({
    scenarios,
    size: values.tiny ? 'tiny' : 'full',
    options: readBenchOptions(),
    runs,
    log,
    signal: interrupt.signal,
  });
  printResults(results);
  const command = ['pnpm bench', ...process.argv.slice(2).filter((arg) => arg !== '--write-docs')].join(' ');
  const file = await writeResults('', results.startedAt, { ...results, command });
  console.log(`\nResults: ${file}`);
  if (values['write-docs']) {
    for (const written of await writeBenchmarksDoc(results, `\`${command}\``)) console.log(`Wrote ${written}`);
  }
  console.log(results.passed ? 'All targets met.' : 'Some targets were missed.');
  return results.passed ? 0 : 1;
}

async function writeDocsFrom(files: readonly string[]): Promise<number> {
  const saved = await Promise.all(files.map((file) => readSavedResults(file)));
  const { results, command } = mergeResults(
    saved,
    SCENARIOS.map((scenario) => scenario.name),
  );
  printResults(results);
  for (const written of await writeBenchmarksDoc(results, command)) console.log(`Wrote ${written}`);
  return results.passed ? 0 : 1;
}

function printResults(results: BenchResults): void {
  const { machine, foreignCpu } = results;
  console.log(
    `\nPunctual benchmarks: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
      `Postgres ${machine.postgres}, Redis ${machine.redis}`,
  );
  console.log(
    `Other programs used ${foreignCpu.averageCores.toFixed(2)} of ${machine.cpus} CPUs on average during the run` +
      `${foreignCpu.averageCores > 0.2 ? ': the machine was shared, so the numbers are lower than it can do' : ''}.\n`,
  );
  console.log(formatTable(results.measurements));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const interrupted = error instanceof Error && error.message === 'interrupted';
    if (interrupted) log('interrupted: cleaned up');
    else console.error('[bench] failed:', error);
    process.exit(interrupted ? 130 : 1);
  },
);
