import type { TargetHit } from '@punctual/testing';
import { checkDelivery, exactlyOnce, hitParameter } from '../delivery.js';
import { sendOpenLoop, type OpenLoopResult } from '../open-loop.js';
import type { ChartPoint, Scenario, ScenarioContext, ScenarioRun } from '../scenario.js';
import { benchTask, useEndToEnd } from '../scenario-fixtures.js';
import { percentile } from '../statistics.js';

const SIZES = {
  full: { rates: [500, 1_000, 1_500, 2_000, 2_500, 3_000], seconds: 10 },
  tiny: { rates: [20, 40], seconds: 2 },
};
const PATH = '/ok/sustained';
/** A step is sustained when its backlog grew by at most this share of what it offered. */
const BACKLOG_GROWTH_ALLOWED = 0.05;
const CHART = 'end to end: create → call';

/** One step of offered load, as the system took it. */
interface StepResult {
  offeredPerSecond: number;
  sent: number;
  /** Calls the target received during the step, per second. */
  deliveredPerSecond: number;
  /** Sent but not yet called, at the end of the step. */
  backlog: number;
  sustained: boolean;
  /** Create request due → call received, for the tasks sent in the step. */
  p50Ms: number;
  p99Ms: number;
}

/** Steps the offered rate of due-now creates up until the backlog grows: the highest rate the system keeps up with. */
export const sustained: Scenario = {
  name: 'sustained',
  title: 'sustained maximum end to end: the highest create rate at which the backlog stops growing',
  description:
    'The API and one worker (default settings) run; tasks due now are created open loop at 500, 1,000, 1,500, 2,000, ' +
    '2,500 and 3,000 a second, 10 s each, until a step ends with its backlog (created but not yet called) grown by ' +
    'more than 5 % of what the step offered. The sustained maximum is the highest step before that one. The steps ' +
    'are the end-to-end chart: calls received per second and create → call p99 against the offered rate.',
  async run(context: ScenarioContext): Promise<ScenarioRun> {
    const size = SIZES[context.size];
    const { environment, target, session } = await useEndToEnd(context);

    let lastBacklog = 0;
    const load = await sendOpenLoop({
      session,
      steps: size.rates.map((perSecond) => ({ perSecond, seconds: size.seconds })),
      body: (index, intendedAt) => benchTask('sustained', target, PATH, index, { query: `&sent=${intendedAt}` }),
      continueAfter: (step, sent) => {
        const backlog = sent - target.hitsFor(PATH).length;
        const grown = backlog - lastBacklog;
        lastBacklog = backlog;
        const keptUp = grown <= BACKLOG_GROWTH_ALLOWED * size.rates[step]! * size.seconds;
        context.log(`${size.rates[step]}/s: backlog ${backlog}${keptUp ? '' : ', growing: stopping here'}`);
        return keptUp;
      },
    });
    const tasks = load.creates.length;
    context.log(`waiting for the rest of ${tasks} tasks`);
    const delivery = await checkDelivery({
      pool: environment.pool,
      target,
      path: PATH,
      userId: session.userId,
      tasks,
      timeoutMs: 60_000 + tasks * 2,
    });
    const steps = stepResults(load, target.hitsFor(PATH), size.seconds);
    const firstMissed = steps.findIndex((step) => !step.sustained);
    const highest = firstMissed === -1 ? steps.at(-1) : steps[firstMissed - 1];
    const scenario = 'sustained';
    const chart: ChartPoint[] = steps.map((step) => ({
      series: 'Punctual',
      chart: CHART,
      offeredPerSecond: step.offeredPerSecond,
      throughputPerSecond: step.deliveredPerSecond,
      p99Ms: step.p99Ms,
    }));
    return {
      measurements: [
        {
          scenario,
          metric: 'sustained maximum',
          value: highest?.offeredPerSecond ?? 0,
          unit: 'tasks/s',
          target: { op: '>=', value: 2_000 },
        },
        { scenario, metric: 'delivered at it', value: highest?.deliveredPerSecond ?? null, unit: '/s' },
        { scenario, metric: 'create → call p99 at it', value: highest?.p99Ms ?? null, unit: 'ms' },
        { scenario, metric: 'highest rate offered', value: steps.at(-1)?.offeredPerSecond ?? null, unit: '/s' },
        {
          scenario,
          metric: 'create errors',
          value: load.creates.filter((create) => create.status !== 201).length,
          unit: '',
          target: { op: '=', value: 0 },
          worstOfRuns: true,
        },
        ...exactlyOnce(scenario, delivery),
      ],
      chart,
      raw: { steps, delivery },
    };
  },
};

/** Each step from the hits: a step's backlog is what was sent by its end minus what the target had received by then. */
function stepResults(load: OpenLoopResult, hits: readonly TargetHit[], seconds: number): StepResult[] {
  const receivedAt = hits.map((hit) => hit.receivedAt.getTime());
  let sentSoFar = 0;
  let previousBacklog = 0;
  return load.steps.map((step) => {
    sentSoFar += step.sent;
    const backlog = sentSoFar - receivedAt.filter((at) => at < step.endedAt).length;
    const grown = backlog - previousBacklog;
    previousBacklog = backlog;
    const latencies = hits
      .map((hit) => ({ sent: hitParameter(hit, 'sent'), at: hit.receivedAt.getTime() }))
      .filter(({ sent }) => sent >= step.startedAt && sent < step.endedAt)
      .map(({ sent, at }) => at - sent);
    return {
      offeredPerSecond: step.perSecond,
      sent: step.sent,
      deliveredPerSecond: receivedAt.filter((at) => at >= step.startedAt && at < step.endedAt).length / seconds,
      backlog,
      sustained: grown <= BACKLOG_GROWTH_ALLOWED * step.sent,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    };
  });
}
