import { createTasks, registerUser } from '../api-session.js';
import { BASELINE_TARGET_PATH, runBaselineDrain, type BaselineDrain } from '../baseline-processes.js';
import { checkDelivery, exactlyOnce, type DeliveryCheck } from '../delivery.js';
import type { Measurement } from '../results-table.js';
import type { Scenario, ScenarioContext, ScenarioRun } from '../scenario.js';
import { benchTask, useApi, useEnvironment, useTarget, useWorker } from '../scenario-fixtures.js';

const SIZES = { full: { tasks: 20_000 }, tiny: { tasks: 200 } };
const PATH = '/ok/drain';
/** Requests in flight while the tasks are created. */
const CREATE_CONNECTIONS = 50;

/** One worker process draining due tasks, beside baselines B and C draining as many jobs. */
export const drain: Scenario = {
  name: 'drain',
  title: '20,000 due tasks, one worker at its default concurrency, against baselines B and C',
  description:
    '20,000 tasks due now are created through the API while no worker runs; then baseline B (a bare BullMQ worker, ' +
    'concurrency 50, one undici call per job, no writes) and baseline C (the same plus a log row insert and a task row ' +
    'update, two autocommit statements) each drain 20,000 ids-only jobs, and then one Punctual worker (default ' +
    'settings) drains the tasks, all against the local target. Rate: jobs / (first call → last success). Every task ' +
    'must be called once and logged once.',
  async run(context: ScenarioContext): Promise<ScenarioRun> {
    const { tasks } = SIZES[context.size];
    const timeoutMs = 60_000 + tasks * 10;
    const environment = await useEnvironment(context);
    const target = await useTarget(context);
    const api = await useApi(context, environment);
    const session = await registerUser(api.url);
    context.log(`creating ${tasks} due tasks through the API, no worker running`);
    const bodies = Array.from({ length: tasks }, (_, index) => benchTask('drain', target, PATH, index));
    await createTasks(session, bodies, CREATE_CONNECTIONS);
    // Nothing but the drain runs from here on, as for the baselines.
    await api.stop();

    context.log('baseline B, baseline C, then Punctual');
    const drainBaseline = (writes: 'none' | 'log-and-task'): Promise<BaselineDrain> =>
      runBaselineDrain({ environment, teardown: context.teardown, writes, jobs: tasks, targetUrl: target.url, timeoutMs });
    const b = await drainBaseline('none');
    const c = await drainBaseline('log-and-task');

    await useWorker(context, environment);
    const delivery = await checkDelivery({ pool: environment.pool, target, path: PATH, userId: session.userId, tasks, timeoutMs });
    const firstCallAt = Math.min(...target.hitsFor(PATH).map((hit) => hit.receivedAt.getTime()));
    const perSecond = delivery.lastSuccessAt === null ? null : tasks / ((delivery.lastSuccessAt - firstCallAt) / 1_000);
    const baselineCalls = {
      b: target.hitsFor(`${BASELINE_TARGET_PATH}/none`).length,
      c: target.hitsFor(`${BASELINE_TARGET_PATH}/log-and-task`).length,
    };
    return { measurements: measure(perSecond, b, c, delivery), raw: { b, c, baselineCalls, delivery, firstCallAt } };
  },
};

function measure(perSecond: number | null, b: BaselineDrain, c: BaselineDrain, delivery: DeliveryCheck): Measurement[] {
  const scenario = 'drain';
  return [
    {
      scenario,
      metric: 'tasks/s, against B',
      value: perSecond,
      unit: '/s',
      baseline: { label: 'B', value: b.perSecond },
      target: { op: '>=', value: 0.4, ratio: true },
    },
    {
      scenario,
      metric: 'tasks/s, against C',
      value: perSecond,
      unit: '/s',
      baseline: { label: 'C', value: c.perSecond },
      target: { op: '>=', value: 1.4, ratio: true },
    },
    ...exactlyOnce(scenario, delivery),
  ];
}
