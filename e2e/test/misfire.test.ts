import {
  createTestEnvironment,
  startApi,
  startTargetServer,
  startWorker,
  type PunctualProcess,
  type TargetServer,
  type TestEnvironment,
} from '@punctual/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PunctualClient, printOutputOnFailure, punctualEnv, sleep, stopAll, waitFor, type Task, type TaskLog } from './punctual-client.js';

// Misfire policies across a real worker outage, on each queue backend: three recurring tasks (every 2 s), one per
// policy, run while a worker is up; the worker stops for about 7 s (three or four occurrences go by, each later than
// MISFIRE_GRACE_MS when it comes back); a new worker starts. The runs each task then makes are read from its logs.

const GRACE_MS = 1_500;
const PERIOD_MS = 2_000;

describe.each(['redis', 'postgres'] as const)('misfire policies across a worker outage on the %s backend', (queueBackend) => {
  let environment: TestEnvironment;
  let target: TargetServer;
  let env: Record<string, string>;
  let api: PunctualProcess & { url: string };
  const workers: PunctualProcess[] = [];
  printOutputOnFailure(() => [api, ...workers]);

  beforeAll(async () => {
    [environment, target] = await Promise.all([createTestEnvironment({ queueBackend }), startTargetServer()]);
    env = punctualEnv(environment, { MISFIRE_GRACE_MS: String(GRACE_MS), MIN_CRON_INTERVAL_SECONDS: '1' });
    [api] = await Promise.all([startApi(env)]);
    workers.push(await startWorker(env, { name: 'worker-1' }));
  });
  afterAll(async () => {
    try {
      await stopAll([api, ...workers]);
    } finally {
      await target?.close();
      await environment?.cleanup();
    }
  });

  it('runs once, skips, or replays each missed occurrence, as the task says', async () => {
    const client = await PunctualClient.register(api.url);
    const create = (misfire: string): Promise<Task> =>
      client.createTask({ name: `misfire ${misfire}`, url: `${target.url}/ok/${misfire}`, cron: '*/2 * * * * *', misfire });
    const tasks = { once: await create('once'), skip: await create('skip'), all: await create('all') };
    const logsOf = (task: Task): Promise<TaskLog[]> => client.taskLogs(task.id);

    // Each has run at least once before the outage.
    await waitFor(async () => {
      for (const task of Object.values(tasks)) expect((await logsOf(task)).length).toBeGreaterThan(0);
    }, 10_000);
    await workers[0]!.stop();
    const stoppedAt = Date.now();
    const before = Object.fromEntries(
      await Promise.all(Object.entries(tasks).map(async ([policy, task]) => [policy, (await logsOf(task)).length] as const)),
    ) as Record<keyof typeof tasks, number>;
    await sleep(7_000);
    workers.push(await startWorker(env, { name: 'worker-2' }));
    const restartedAt = Date.now();
    // Long enough for the replay and two occurrences after it.
    await sleep(6_000);

    const after = async (policy: keyof typeof tasks) => (await logsOf(tasks[policy])).slice(before[policy]);
    const missed = (log: TaskLog) => Date.parse(log.startedAt) - Date.parse(log.scheduledFor) > GRACE_MS;
    const due = (log: TaskLog) => Date.parse(log.scheduledFor);

    // once: one catch-up run, for the oldest occurrence missed, then the schedule goes on (on time).
    const once = await after('once');
    expect(once.filter(missed)).toHaveLength(1);
    expect(due(once[0]!)).toBeGreaterThan(stoppedAt - PERIOD_MS);
    expect(due(once[0]!)).toBeLessThan(stoppedAt + PERIOD_MS);
    expect(once.slice(1).every((log) => !missed(log))).toBe(true);
    expect(once.length).toBeGreaterThanOrEqual(3);

    // skip: none of the missed occurrences runs; the first run is an occurrence due after the worker came back, give
    // or take its grace.
    const skip = await after('skip');
    expect(skip.filter(missed)).toHaveLength(0);
    expect(due(skip[0]!)).toBeGreaterThanOrEqual(restartedAt - GRACE_MS - PERIOD_MS);
    expect(skip.length).toBeGreaterThanOrEqual(2);

    // all: every occurrence from the first one missed on, oldest first, none left out and none twice.
    const all = await after('all');
    expect(all.filter(missed).length).toBeGreaterThanOrEqual(3);
    const times = all.map(due);
    for (let index = 1; index < times.length; index += 1) expect(times[index]! - times[index - 1]!).toBe(PERIOD_MS);
    expect(times[0]!).toBeLessThan(stoppedAt + PERIOD_MS);
    // Every run is its own occurrence's: one attempt each, all succeeded.
    for (const logs of [once, skip, all]) expect(logs.every((log) => log.outcome === 'succeeded' && log.attempt === 1)).toBe(true);
  });
});
