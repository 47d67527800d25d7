import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PunctualClient, useRunningStack, secondsFromNow, sleep, sleepUntil, waitFor, type Task, oneOffTaskIn } from './punctual-client.js';

// The guarantee that matters most to users of the task actions: once cancel, pause, delete or a reschedule has
// returned, the old schedule never fires. Real API and worker processes, a target that counts hits.
describe.concurrent('task control end to end', () => {
  const stack = useRunningStack();

  const pathFor = (route: string): string => `${route}/${randomUUID()}`;
  const register = (): Promise<PunctualClient> => PunctualClient.register(stack.api.url);
  const act = async (client: PunctualClient, id: string, action: string, expected = 200): Promise<Task> => {
    const response = await client.request<Task>('POST', `/api/v1/tasks/${id}/${action}`);
    expect(response.status, JSON.stringify(response.body)).toBe(expected);
    return response.body;
  };

  it.for(['cancel', 'pause', 'delete'] as const)('never fires a task after %s has returned', async (action) => {
    const { client, path, due, task } = await oneOffTaskIn(stack, 3);

    if (action === 'delete') expect((await client.request('DELETE', `/api/v1/tasks/${task.id}`)).status).toBe(204);
    else await act(client, task.id, action);

    await sleepUntil(new Date(due.getTime() + 3_000));
    expect(stack.target.hitsFor(path)).toHaveLength(0);
  });

  it('never fires the old time of a rescheduled task, and fires the new one once', async () => {
    const { client, path, due: oldTime, task } = await oneOffTaskIn(stack, 3);
    const newTime = secondsFromNow(7);
    await client.reschedule(task.id, newTime);

    await sleepUntil(new Date(oldTime.getTime() + 2_000));
    expect(stack.target.hitsFor(path)).toHaveLength(0);
    const [hit] = await stack.target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });
    expect(hit!.receivedAt.getTime()).toBeGreaterThanOrEqual(newTime.getTime() - 50);
    await client.waitForStatus(task.id, 'completed');
    await sleep(1_000);
    expect(stack.target.hitsFor(path)).toHaveLength(1);
  });

  it('resuming a paused task whose time has passed runs it at once, once', async () => {
    const { client, path, due, task } = await oneOffTaskIn(stack, 1);
    await act(client, task.id, 'pause');
    await sleepUntil(new Date(due.getTime() + 1_500));
    expect(stack.target.hitsFor(path)).toHaveLength(0);

    await act(client, task.id, 'resume');
    await stack.target.waitForHits(1, { pathPrefix: path, timeoutMs: 10_000 });
    await client.waitForStatus(task.id, 'completed');
    expect(stack.target.hitsFor(path)).toHaveLength(1);
  });

  it('runs a cron task on every occurrence, each as its own run, and stops for good on cancel', async () => {
    const client = await register();
    const path = pathFor('/ok');
    const task = await client.createTask({ url: `${stack.target.url}${path}`, cron: '*/2 * * * * *' });

    const hits = await stack.target.waitForHits(3, { pathPrefix: path, timeoutMs: 20_000 });
    const runIds = hits.map((hit) => hit.headers['punctual-run-id']);
    expect(new Set(runIds).size).toBe(runIds.length);
    // Each run is an occurrence of the schedule (an even second), and none started before it.
    const runs = await client.taskLogs(task.id);
    for (const log of runs.slice(0, 3)) {
      expect(new Date(log.scheduledFor).getTime() % 2_000).toBe(0);
      expect(new Date(log.startedAt).getTime()).toBeGreaterThanOrEqual(new Date(log.scheduledFor).getTime());
    }

    const cancelled = await act(client, task.id, 'cancel');
    const countAtCancel = stack.target.hitsFor(path).length;
    await sleep(5_000);
    // An attempt already in flight when cancel returned may land; nothing is scheduled after it.
    expect(stack.target.hitsFor(path).length).toBeLessThanOrEqual(countAtCancel + 1);
    const after = await client.getTask(task.id);
    expect(after).toMatchObject({ status: 'cancelled', nextRunAt: null });
    expect(cancelled.runCount).toBeGreaterThanOrEqual(2);
    const logs = await client.taskLogs(task.id);
    expect(logs.length).toBe(stack.target.hitsFor(path).length);
  });

  it('pausing a cron task stops it; resuming continues the schedule', async () => {
    const client = await register();
    const path = pathFor('/ok');
    const task = await client.createTask({ url: `${stack.target.url}${path}`, cron: '* * * * * *' });
    await stack.target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });

    // A pause that lands while an attempt is in flight is refused (409 running): try until it takes.
    await waitFor(() => act(client, task.id, 'pause'), 10_000, 50);
    const countAtPause = stack.target.hitsFor(path).length;
    await sleep(3_000);
    expect(stack.target.hitsFor(path).length).toBe(countAtPause);

    await act(client, task.id, 'resume');
    await stack.target.waitForHits(countAtPause + 2, { pathPrefix: path, timeoutMs: 15_000 });
    await waitFor(() => act(client, task.id, 'cancel'), 10_000, 50);
  });

  it('run gives a recurring task one extra run now and leaves its schedule alone', async () => {
    const client = await register();
    const path = pathFor('/ok');
    const task = await client.createTask({ url: `${stack.target.url}${path}`, cron: '0 0 1 1 *' });

    await act(client, task.id, 'run');
    await stack.target.waitForHits(1, { pathPrefix: path, timeoutMs: 10_000 });
    const after = await waitFor(async () => {
      const current = await client.getTask(task.id);
      expect(current).toMatchObject({ status: 'pending', runCount: 1 });
      return current;
    });
    expect(after.nextRunAt).toBe(task.nextRunAt);
  });

  it('an attempt in flight when cancel returns finishes and is logged, and nothing follows it', async () => {
    const client = await register();
    const path = pathFor('/delay/1500');
    const task = await client.createTask({ url: `${stack.target.url}${path}`, maxRetries: 3 });
    await stack.target.waitForHits(1, { pathPrefix: path, timeoutMs: 10_000 });
    await act(client, task.id, 'cancel');

    await waitFor(async () => expect(await client.taskLogs(task.id)).toHaveLength(1), 10_000);
    await sleep(1_500);
    expect(stack.target.hitsFor(path)).toHaveLength(1);
    expect(await client.getTask(task.id)).toMatchObject({ status: 'cancelled' });
  });

  it('a bulk cancel stops every task it names', async () => {
    const client = await register();
    const path = pathFor('/ok');
    const due = secondsFromNow(4);
    const tasks = await Promise.all(
      Array.from({ length: 20 }, () => client.createTask({ url: `${stack.target.url}${path}`, scheduledAt: due.toISOString() })),
    );
    const response = await client.request<{ results: { ok: boolean }[] }>('POST', '/api/v1/tasks/bulk', {
      action: 'cancel',
      ids: tasks.map((task) => task.id),
    });
    expect(response.body.results.every((result) => result.ok)).toBe(true);
    await sleepUntil(new Date(due.getTime() + 3_000));
    expect(stack.target.hitsFor(path)).toHaveLength(0);
  });
});
