import { checkDelivery, exactlyOnce, hitParameter } from '../delivery.js';
import { sendOpenLoop } from '../open-loop.js';
import type { Scenario, ScenarioContext, ScenarioRun } from '../scenario.js';
import { benchTask, useEndToEnd } from '../scenario-fixtures.js';
import { percentile } from '../statistics.js';

const SIZES = { full: { perSecond: 1_000, warmUpSeconds: 3, seconds: 15 }, tiny: { perSecond: 50, warmUpSeconds: 1, seconds: 2 } };
const PATH = '/ok/steady';

/** A steady stream of tasks due now, created open loop: how long from the create request to the call. */
export const steady: Scenario = {
  name: 'steady',
  title: '1,000 tasks/s created for now, open loop: all delivered, create → call p99 ≤ 50 ms',
  description:
    'The API and one worker (default settings) run; tasks due now are created at 1,000 a second for 15 s after 3 s ' +
    'of warm-up, open loop (each request goes out at its time whatever the answers to earlier ones). Latency: from ' +
    'the time a create request was due to go out to the time the target received the call. Every task must be called ' +
    'once and logged once.',
  async run(context: ScenarioContext): Promise<ScenarioRun> {
    const size = SIZES[context.size];
    const { environment, target, session } = await useEndToEnd(context);

    context.log(`${size.perSecond} creates/s for ${size.warmUpSeconds} + ${size.seconds} s`);
    const load = await sendOpenLoop({
      session,
      steps: [
        { perSecond: size.perSecond, seconds: size.warmUpSeconds },
        { perSecond: size.perSecond, seconds: size.seconds },
      ],
      body: (index, intendedAt) => benchTask('steady', target, PATH, index, { query: `&sent=${intendedAt}` }),
    });
    const tasks = load.creates.length;
    const delivery = await checkDelivery({ pool: environment.pool, target, path: PATH, userId: session.userId, tasks, timeoutMs: 60_000 });

    const measured = load.steps[1]!;
    const latencies = target
      .hitsFor(PATH)
      .map((hit) => ({ sent: hitParameter(hit, 'sent'), latency: hit.receivedAt.getTime() - hitParameter(hit, 'sent') }))
      .filter(({ sent }) => sent >= measured.startedAt)
      .map(({ latency }) => latency);
    const createErrors = load.creates.filter((create) => create.status !== 201).length;
    const scenario = 'steady';
    return {
      measurements: [
        { scenario, metric: 'offered', value: measured.sent / size.seconds, unit: '/s' },
        { scenario, metric: 'create → call p50', value: percentile(latencies, 50), unit: 'ms' },
        { scenario, metric: 'create → call p99', value: percentile(latencies, 99), unit: 'ms', target: { op: '<=', value: 50 } },
        { scenario, metric: 'create errors', value: createErrors, unit: '', target: { op: '=', value: 0 }, worstOfRuns: true },
        ...exactlyOnce(scenario, delivery),
      ],
      raw: { steps: load.steps, delivery, createErrors },
    };
  },
};
