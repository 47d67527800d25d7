import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  PunctualClient,
  useRunningStack,
  secondsFromNow,
  sleep,
  sleepUntil,
  waitFor,
  workerIdOf,
  type Page,
  type Task,
  type TaskLog,
  oneOffTaskIn,
} from './punctual-client.js';

// One API and two workers, real processes, driven over HTTP. The scenarios are independent (each has its own user
// and its own target path), so they run concurrently and the file takes as long as its slowest scenario.
describe.concurrent('the pipeline from API to worker to target', () => {
  const stack = useRunningStack();

  /** A path of its own on the target, so a scenario counts only its own hits. */
  const pathFor = (route: string): string => `${route}/${randomUUID()}`;
  const register = (): Promise<PunctualClient> => PunctualClient.register(stack.api.url);

  it('calls a task due now once, with its method, body, token, headers and identification headers', async () => {
    const client = await register();
    const path = pathFor('/echo');
    const task = await client.createTask({
      url: `${stack.target.url}${path}`,
      method: 'POST',
      body: { hello: 'world', n: 1 },
      token: 'e2e-secret-token',
      headers: { 'X-Custom': 'custom value' },
    });

    const [hit] = await stack.target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });
    expect(hit!.method).toBe('POST');
    expect(JSON.parse(hit!.body)).toEqual({ hello: 'world', n: 1 });
    expect(hit!.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Bearer e2e-secret-token',
      'x-custom': 'custom value',
      'punctual-task-id': task.id,
      'punctual-attempt': '1',
    });
    expect(hit!.headers['user-agent']).toMatch(/^punctual\/\d+\.\d+\.\d+/);

    const done = await client.waitForStatus(task.id, 'completed');
    expect(done).toMatchObject({
      runCount: 1,
      attempts: 1,
      lastOutcome: 'succeeded',
      lastStatusCode: 200,
      lastError: null,
      hasToken: true,
    });
    expect(JSON.stringify(done)).not.toContain('e2e-secret-token');

    const logs = await client.taskLogs(task.id);
    expect(logs).toHaveLength(1);
    const [log] = logs;
    expect(log).toMatchObject({ taskId: task.id, attempt: 1, outcome: 'succeeded', statusCode: 200, error: null, nextRetryAt: null });
    expect(hit!.headers['punctual-run-id']).toBe(log!.runId);
    expect(log!.durationMs).toBeGreaterThanOrEqual(0);
    // The target echoed what it received: the log keeps the response body.
    const echoed = JSON.parse(log!.responseBody ?? 'null') as { method: string; body: string };
    expect(echoed.method).toBe('POST');
    expect(JSON.parse(echoed.body)).toEqual({ hello: 'world', n: 1 });
    expect(stack.workers.map(workerIdOf)).toContain(log!.workerId);
    expect(stack.target.hitsFor(path)).toHaveLength(1);
  });

  it('signs every call with the secret GET /auth/signing-secret shows, and by both secrets after a rotation', async () => {
    const client = await register();
    const secretOf = async (method: 'GET' | 'POST', path: string): Promise<string> => {
      const response = await client.request<{ secret: string }>(method, path);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      return response.body.secret;
    };
    /** The independent oracle: the standardwebhooks package, given the secret and the call as received. */
    const verifies = (
      secret: string,
      hit: { body: string; headers: Record<string, string | string[] | undefined> },
      signature?: string,
    ) => {
      const headers = {
        'webhook-id': String(hit.headers['webhook-id']),
        'webhook-timestamp': String(hit.headers['webhook-timestamp']),
        'webhook-signature': signature ?? String(hit.headers['webhook-signature']),
      };
      try {
        new Webhook(secret).verify(hit.body, headers, { jsonParse: false });
        return true;
      } catch {
        return false;
      }
    };
    const first = await secretOf('GET', '/api/v1/auth/signing-secret');
    const before = pathFor('/ok');
    await client.createTask({ url: `${stack.target.url}${before}`, method: 'POST', body: { order: 1 } });
    const [signed] = await stack.target.waitForHits(1, { pathPrefix: before, timeoutMs: 15_000 });
    expect(verifies(first, signed!)).toBe(true);
    expect(String(signed!.headers['webhook-signature']).split(' ')).toHaveLength(1);

    const second = await secretOf('POST', '/api/v1/auth/signing-secret/rotate');
    const after = pathFor('/ok');
    const task = await client.createTask({ url: `${stack.target.url}${after}`, method: 'PUT', body: 'text body' });
    const [hit] = await stack.target.waitForHits(1, { pathPrefix: after, timeoutMs: 15_000 });
    const [bySecond, byFirst] = String(hit!.headers['webhook-signature']).split(' ');
    expect(verifies(second, hit!, bySecond)).toBe(true);
    expect(verifies(first, hit!, byFirst)).toBe(true);
    expect(verifies(first, hit!, bySecond)).toBe(false);
    await client.waitForStatus(task.id, 'completed');
    const [log] = await client.taskLogs(task.id);
    expect(hit!.headers['webhook-id']).toBe(log!.runId);
  });

  it('does not call a task scheduled in the future before its time, and calls it then', async () => {
    const { client, path, due: scheduledAt, task } = await oneOffTaskIn(stack, 2);

    await sleepUntil(new Date(scheduledAt.getTime() - 1_000));
    expect(stack.target.hitsFor(path)).toHaveLength(0);
    expect((await client.getTask(task.id)).status).toBe('pending');

    const [hit] = await stack.target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });
    // Same machine, same clock; a little slack for millisecond rounding.
    expect(hit!.receivedAt.getTime()).toBeGreaterThanOrEqual(scheduledAt.getTime() - 50);
    await client.waitForStatus(task.id, 'completed');
    const logs = await client.taskLogs(task.id);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ outcome: 'succeeded', scheduledFor: scheduledAt.toISOString() });
  });

  it('retries failed attempts after the backoff and completes when one succeeds', async () => {
    const client = await register();
    const path = `/flaky/2/${randomUUID()}`;
    const task = await client.createTask({
      url: `${stack.target.url}${path}`,
      maxRetries: 3,
      backoff: { type: 'fixed', delayMs: 200 },
    });

    const done = await client.waitForStatus(task.id, 'completed');
    expect(done).toMatchObject({ runCount: 1, attempts: 3, lastOutcome: 'succeeded', lastStatusCode: 200, lastError: null });

    const logs = await client.taskLogs(task.id);
    expect(logs.map((log) => [log.attempt, log.outcome, log.statusCode, log.error])).toEqual([
      [1, 'failed', 503, 'HTTP 503'],
      [2, 'failed', 503, 'HTTP 503'],
      [3, 'succeeded', 200, null],
    ]);
    expect(new Set(logs.map((log) => log.runId)).size).toBe(1);
    expect(logs[0]!.nextRetryAt).not.toBeNull();
    expect(logs[1]!.nextRetryAt).not.toBeNull();
    expect(logs[2]!.nextRetryAt).toBeNull();

    const hits = stack.target.hitsFor(path);
    expect(hits.map((hit) => hit.headers['punctual-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(hits.map((hit) => hit.headers['punctual-run-id']))).toEqual(new Set([logs[0]!.runId]));
    for (let i = 1; i < hits.length; i++) {
      expect(hits[i]!.receivedAt.getTime() - hits[i - 1]!.receivedAt.getTime()).toBeGreaterThanOrEqual(150);
    }
  });

  it('fails a task after 1 + maxRetries attempts and calls it no more', async () => {
    const client = await register();
    const path = pathFor('/status/500');
    const task = await client.createTask({ url: `${stack.target.url}${path}`, maxRetries: 2, backoff: { type: 'fixed', delayMs: 200 } });

    const failed = await client.waitForStatus(task.id, 'failed');
    expect(failed).toMatchObject({ runCount: 1, attempts: 3, lastOutcome: 'failed', lastStatusCode: 500, lastError: 'HTTP 500' });
    const logs = await client.taskLogs(task.id);
    expect(logs.map((log) => [log.attempt, log.outcome, log.statusCode, log.error])).toEqual([
      [1, 'failed', 500, 'HTTP 500'],
      [2, 'failed', 500, 'HTTP 500'],
      [3, 'failed', 500, 'HTTP 500'],
    ]);
    expect(logs[2]!.nextRetryAt).toBeNull();

    // Several backoff periods later, still exactly three calls.
    await sleep(1_000);
    expect(stack.target.hitsFor(path)).toHaveLength(3);
    expect(await client.taskLogs(task.id)).toHaveLength(3);
  });

  it('cuts an attempt off at timeoutMs and logs it as a timeout', async () => {
    const client = await register();
    const path = pathFor('/delay/5000');
    const task = await client.createTask({ url: `${stack.target.url}${path}`, timeoutMs: 300, maxRetries: 0 });

    const failed = await client.waitForStatus(task.id, 'failed');
    expect(failed).toMatchObject({ attempts: 1, lastOutcome: 'failed', lastStatusCode: null, lastError: 'timeout after 300 ms' });
    const logs = await client.taskLogs(task.id);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ outcome: 'failed', statusCode: null, error: 'timeout after 300 ms' });
    expect(logs[0]!.durationMs).toBeGreaterThanOrEqual(250);
    expect(logs[0]!.durationMs).toBeLessThan(2_000);
  });

  it("waits as long as a 503's Retry-After asks before the next attempt", async () => {
    const client = await register();
    const path = pathFor('/retry-after/503/1');
    const task = await client.createTask({
      url: `${stack.target.url}${path}`,
      maxRetries: 1,
      backoff: { type: 'fixed', delayMs: 10, maxDelayMs: 60_000 },
    });

    const failed = await client.waitForStatus(task.id, 'failed');
    expect(failed).toMatchObject({ attempts: 2, lastStatusCode: 503, lastError: 'HTTP 503' });
    const hits = stack.target.hitsFor(path);
    expect(hits).toHaveLength(2);
    expect(hits[1]!.receivedAt.getTime() - hits[0]!.receivedAt.getTime()).toBeGreaterThanOrEqual(950);

    const [first] = await client.taskLogs(task.id);
    expect(first!.responseHeaders['retry-after']).toBe('1');
    expect(Date.parse(first!.nextRetryAt!) - Date.parse(first!.finishedAt!)).toBeGreaterThanOrEqual(900);
  });

  it('runs a task moved earlier at its new time, and not again at its old one', async () => {
    const { client, path, due: oldTime, task } = await oneOffTaskIn(stack, 3);
    const newTime = secondsFromNow(1);
    const moved = await client.reschedule(task.id, newTime);
    expect(moved.nextRunAt).toBe(newTime.toISOString());

    const [hit] = await stack.target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });
    expect(hit!.receivedAt.getTime()).toBeGreaterThanOrEqual(newTime.getTime() - 50);
    expect(hit!.receivedAt.getTime()).toBeLessThan(oldTime.getTime());
    await client.waitForStatus(task.id, 'completed');

    await sleepUntil(new Date(oldTime.getTime() + 500));
    expect(stack.target.hitsFor(path)).toHaveLength(1);
    expect(await client.taskLogs(task.id)).toHaveLength(1);
    expect(await client.getTask(task.id)).toMatchObject({ status: 'completed', runCount: 1 });
  });

  it('does not run a task moved later at its old time, and runs it at its new one', async () => {
    const { client, path, due: oldTime, task } = await oneOffTaskIn(stack, 1);
    const newTime = secondsFromNow(4);
    await client.reschedule(task.id, newTime);

    await sleepUntil(new Date(oldTime.getTime() + 1_000));
    expect(stack.target.hitsFor(path)).toHaveLength(0);
    expect((await client.getTask(task.id)).status).toBe('pending');

    const [hit] = await stack.target.waitForHits(1, { pathPrefix: path, timeoutMs: 15_000 });
    expect(hit!.receivedAt.getTime()).toBeGreaterThanOrEqual(newTime.getTime() - 50);
    await client.waitForStatus(task.id, 'completed');
    expect(await client.taskLogs(task.id)).toHaveLength(1);
    expect(stack.target.hitsFor(path)).toHaveLength(1);
  });

  it('never calls a task deleted before its time', async () => {
    const { client, path, due: scheduledAt, task } = await oneOffTaskIn(stack, 1.5);

    const deleted = await client.request('DELETE', `/api/v1/tasks/${task.id}`);
    expect(deleted.status).toBe(204);

    await sleepUntil(new Date(scheduledAt.getTime() + 1_000));
    expect(stack.target.hitsFor(path)).toHaveLength(0);
    expect((await client.request('GET', `/api/v1/tasks/${task.id}`)).status).toBe(404);
    expect((await client.request('GET', `/api/v1/tasks/${task.id}/logs`)).status).toBe(404);
  });

  it("shows a user nothing of another user's tasks and attempts", async () => {
    const [alice, bob] = await Promise.all([register(), register()]);
    const task = await alice.createTask({ url: `${stack.target.url}${pathFor('/ok')}` });
    await alice.waitForStatus(task.id, 'completed');
    expect(await alice.taskLogs(task.id)).toHaveLength(1);

    const notFound = { statusCode: 404, error: 'Not Found' };
    const read = await bob.request('GET', `/api/v1/tasks/${task.id}`);
    expect(read.status).toBe(404);
    expect(read.body).toMatchObject(notFound);
    expect(JSON.stringify(read.body)).not.toContain(task.url);
    const logs = await bob.request('GET', `/api/v1/tasks/${task.id}/logs`);
    expect(logs.status).toBe(404);
    expect(logs.body).toMatchObject(notFound);

    const list = await bob.request<Page<Task>>('GET', '/api/v1/tasks?limit=100');
    expect(list.status).toBe(200);
    expect(list.body.data.map((item) => item.id)).not.toContain(task.id);
    const allLogs = await bob.request<Page<TaskLog>>('GET', '/api/v1/logs?limit=100');
    expect(allLogs.status).toBe(200);
    expect(allLogs.body.data.filter((log) => log.taskId === task.id)).toEqual([]);
    const filtered = await bob.request<Page<TaskLog>>('GET', `/api/v1/logs?taskId=${task.id}`);
    expect(filtered.body).toMatchObject({ data: [], total: 0 });

    // Nor can Bob change or remove it.
    expect((await bob.request('PATCH', `/api/v1/tasks/${task.id}`, { name: 'mine now' })).status).toBe(404);
    expect((await bob.request('DELETE', `/api/v1/tasks/${task.id}`)).status).toBe(404);
    expect(await alice.getTask(task.id)).toMatchObject({ name: 'e2e task', status: 'completed' });
  });

  it('has several workers make each of 40 due tasks exactly once', async () => {
    const client = await register();
    const prefix = pathFor('/ok/many');
    const tasks = await Promise.all(
      Array.from({ length: 40 }, (_, i) => client.createTask({ name: `many ${i}`, url: `${stack.target.url}${prefix}/${i}` })),
    );
    const ids = new Set(tasks.map((task) => task.id));

    await stack.target.waitForHits(40, { pathPrefix: prefix, timeoutMs: 30_000 });
    await waitFor(async () => {
      const completed = await client.request<Page<Task>>('GET', '/api/v1/tasks?status=completed&limit=100');
      expect(completed.body.total).toBe(40);
    }, 15_000);

    const logs = await client.request<Page<TaskLog>>('GET', '/api/v1/logs?limit=100');
    expect(logs.body.total).toBe(40);
    expect(logs.body.data.every((log) => log.outcome === 'succeeded' && log.attempt === 1)).toBe(true);
    expect(new Set(logs.body.data.map((log) => log.taskId))).toEqual(ids);
    const workerIds = new Set(stack.workers.map(workerIdOf));
    expect(logs.body.data.filter((log) => !workerIds.has(log.workerId))).toEqual([]);

    // No late duplicates.
    await sleep(500);
    const hits = stack.target.hitsFor(prefix);
    expect(hits).toHaveLength(40);
    expect(new Set(hits.map((hit) => hit.headers['punctual-task-id']))).toEqual(ids);
  }, 60_000);
});
