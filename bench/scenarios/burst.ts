import { createTasks } from '../api-session.js';
import { checkDelivery, exactlyOnce } from '../delivery.js';
import type { Scenario, ScenarioContext, ScenarioRun } from '../scenario.js';
import { benchTask, useEndToEnd } from '../scenario-fixtures.js';
import { percentile } from '../statistics.js';

const SIZES = { full: { tasks: 10_000 }, tiny: { tasks: 100 } };
const PATH = '/ok/burst';
const CREATE_CONNECTIONS = 50;
/** Creates per second assumed when choosing the due time: low (main made ~360/s at 50 connections), so creating is done before the tasks are due. */
const ASSUMED_CREATES_PER_SECOND = 300;

/** Many tasks due at one instant, created ahead of time through the API while a worker runs. */
export const burst: Scenario = {
  name: 'burst',
  title: '10,000 tasks due at the same instant: each called once, the last within 5 s',
  description:
    '10,000 tasks, all due at the same whole second a little ahead, are created through the API (50 connections) ' +
    'while the API and one worker (default settings) run; the bench then waits for every call. Lateness: the time the ' +
    'target received a call minus the due time. Every task must be called once and logged once.',
  async run(context: ScenarioContext): Promise<ScenarioRun> {
    const { tasks } = SIZES[context.size];
    const { environment, target, session } = await useEndToEnd(context);

    const dueAt = Math.ceil((Date.now() + 5_000 + (tasks / ASSUMED_CREATES_PER_SECOND) * 1_000) / 1_000) * 1_000;
    context.log(`creating ${tasks} tasks due at ${new Date(dueAt).toISOString()}`);
    const scheduledAt = new Date(dueAt).toISOString();
    const bodies = Array.from({ length: tasks }, (_, index) => benchTask('burst', target, PATH, index, { scheduledAt }));
    await createTasks(session, bodies, CREATE_CONNECTIONS);
    const createdAt = Date.now();

    const delivery = await checkDelivery({
      pool: environment.pool,
      target,
      path: PATH,
      userId: session.userId,
      tasks,
      timeoutMs: Math.max(0, dueAt - Date.now()) + 60_000 + tasks * 10,
    });
    const lateness = target.hitsFor(PATH).map((hit) => hit.receivedAt.getTime() - dueAt);
    // Calls that came before the due time would be a bug of their own: they show as negative lateness.
    const scenario = 'burst';
    return {
      measurements: [
        {
          scenario,
          metric: 'last call after due time',
          value: lateness.length === 0 ? null : Math.max(...lateness) / 1_000,
          unit: 's',
          target: { op: '<=', value: 5 },
        },
        { scenario, metric: 'first call after due time', value: lateness.length === 0 ? null : Math.min(...lateness), unit: 'ms' },
        { scenario, metric: 'lateness p50', value: percentile(lateness, 50), unit: 'ms' },
        { scenario, metric: 'lateness p99', value: percentile(lateness, 99), unit: 'ms' },
        ...exactlyOnce(scenario, delivery),
        {
          scenario,
          metric: 'created before due (1 = yes)',
          value: createdAt <= dueAt ? 1 : 0,
          unit: '',
          target: { op: '=', value: 1 },
          worstOfRuns: true,
        },
      ],
      raw: { dueAt, createdAt, delivery },
    };
  },
};
