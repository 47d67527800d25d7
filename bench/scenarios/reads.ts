import { createTasks, registerUser } from '../api-session.js';
import { farFutureTask, runLoad, type LoadResult } from '../http-load.js';
import type { Measurement } from '../results-table.js';
import type { Scenario, ScenarioContext, ScenarioRun } from '../scenario.js';
import { useApi, useEnvironment } from '../scenario-fixtures.js';

const SIZES = { full: { tasks: 2_000, seconds: 5, connections: 50 }, tiny: { tasks: 50, seconds: 1, connections: 10 } };

/** The two reads a client polls, under load; no targets (the million scenario times reads at 1M tasks). */
export const reads: Scenario = {
  name: 'reads',
  title: 'GET /api/v1/tasks?limit=20 and GET /api/v1/tasks/:id/status, 50 connections (no targets)',
  description:
    'A user with 2,000 tasks (created through the API, due in a month); autocannon with 50 connections reads the ' +
    "first page of the user's list, then the status of random tasks of theirs, 5 s each. Reported only.",
  runs: 1,
  async run(context: ScenarioContext): Promise<ScenarioRun> {
    const size = SIZES[context.size];
    const environment = await useEnvironment(context);
    const api = await useApi(context, environment);
    const session = await registerUser(api.url);
    const bodies = Array.from({ length: size.tasks }, (_, index) => farFutureTask(`bench reads ${index}`, 'http://127.0.0.1:9/never'));
    const ids = await createTasks(session, bodies, size.connections);
    const load = { headers: session.headers, connections: size.connections, seconds: size.seconds };
    const list = await runLoad({ ...load, url: `${api.url}/api/v1/tasks?limit=20` });
    const status = await runLoad({
      ...load,
      url: `${api.url}/api/v1/tasks/${ids[0]}/status`,
      path: () => `/api/v1/tasks/${ids[Math.floor(Math.random() * ids.length)]}/status`,
    });
    return { measurements: [...measure('list page', list), ...measure('status', status)], raw: { list, status } };
  },
};

function measure(name: string, load: LoadResult): Measurement[] {
  const scenario = 'reads';
  return [
    { scenario, metric: `${name}: requests/s`, value: load.requestsPerSecond, unit: '/s' },
    { scenario, metric: `${name}: latency p99`, value: load.p99Ms, unit: 'ms' },
    { scenario, metric: `${name}: errors and non-2xx`, value: load.non2xx + load.errors, unit: '', target: { op: '=', value: 0 } },
  ];
}
