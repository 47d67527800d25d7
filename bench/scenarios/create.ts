import { registerUser } from '../api-session.js';
import { startBaselineRoute } from '../baseline-processes.js';
import { farFutureTask, runCreateLoad, type LoadResult } from '../http-load.js';
import type { Measurement } from '../results-table.js';
import type { ChartPoint, Scenario, ScenarioContext, ScenarioRun } from '../scenario.js';
import { useApi, useEnvironment } from '../scenario-fixtures.js';

const SIZES = {
  full: { connections: 50, warmUpSeconds: 3, seconds: 10, chartRates: [500, 1_000, 2_000, 3_000], chartSeconds: 3 },
  tiny: { connections: 10, warmUpSeconds: 1, seconds: 2, chartRates: [100], chartSeconds: 2 },
};

const CHART = 'create: POST /api/v1/tasks';

/** Punctual's `POST /api/v1/tasks` (JWT, validation, insert, enqueue) beside baseline A under the same load. */
export const create: Scenario = {
  name: 'create',
  title: 'POST /api/v1/tasks, 50 connections, against baseline A',
  description:
    'autocannon with 50 connections posts a task due in a month (so nothing runs) for 10 s, after 3 s of warm-up: ' +
    "first to baseline A, a bare Fastify route doing one INSERT and one BullMQ `queue.add`, then to Punctual's route " +
    '(JWT, validation, insert, enqueue; production settings, request logging on). Then both at fixed offered rates ' +
    "(autocannon's overallRate, 3 s each) for the chart.",
  async run(context: ScenarioContext): Promise<ScenarioRun> {
    const size = SIZES[context.size];
    const environment = await useEnvironment(context);
    const [api, baseline] = await Promise.all([useApi(context, environment), startBaselineRoute(environment, context.teardown)]);
    const session = await registerUser(api.url);
    const task = farFutureTask('bench create', 'http://127.0.0.1:9/never');
    const load =
      (url: string) =>
      (seconds: number, overallRate?: number): Promise<LoadResult> =>
        runCreateLoad(url, session.headers, task, {
          connections: size.connections,
          seconds,
          ...(overallRate === undefined ? {} : { overallRate }),
        });
    const bare = load(baseline.url);
    const punctual = load(api.url);

    context.log('baseline A, then Punctual');
    await bare(size.warmUpSeconds);
    const a = await bare(size.seconds);
    await punctual(size.warmUpSeconds);
    const p = await punctual(size.seconds);

    const chart: ChartPoint[] = [];
    for (const rate of size.chartRates) {
      context.log(`offered ${rate}/s`);
      for (const [series, run] of [
        ['baseline A', bare],
        ['Punctual', punctual],
      ] as const) {
        const result = await run(size.chartSeconds, rate);
        chart.push({ series, chart: CHART, offeredPerSecond: rate, throughputPerSecond: result.requestsPerSecond, p99Ms: result.p99Ms });
      }
    }
    return { measurements: measure(a, p), chart, raw: { baselineA: a, punctual: p } };
  },
};

function measure(a: LoadResult, p: LoadResult): Measurement[] {
  const scenario = 'create';
  const baseline = (value: number) => ({ label: 'A', value });
  return [
    {
      scenario,
      metric: 'requests/s',
      value: p.requestsPerSecond,
      unit: '/s',
      baseline: baseline(a.requestsPerSecond),
      target: { op: '>=', value: 0.85, ratio: true },
    },
    { scenario, metric: 'latency p50', value: p.p50Ms, unit: 'ms', baseline: baseline(a.p50Ms) },
    { scenario, metric: 'latency p99', value: p.p99Ms, unit: 'ms', baseline: baseline(a.p99Ms), target: { op: '<=', value: 30 } },
    {
      scenario,
      metric: 'errors and non-2xx',
      value: p.non2xx + p.errors,
      unit: '',
      baseline: baseline(a.non2xx + a.errors),
      target: { op: '=', value: 0 },
      worstOfRuns: true,
    },
  ];
}
