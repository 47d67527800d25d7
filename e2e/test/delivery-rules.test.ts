import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PunctualClient, sleep, useRunningStack } from './punctual-client.js';

// Outcome rules and templates through real processes (one API, one worker) on the test run's queue backend.
describe.concurrent('delivery rules from API to worker to target', () => {
  const stack = useRunningStack({ workers: 1 });
  const pathFor = (route: string): string => `${route}/${randomUUID()}`;
  const register = (): Promise<PunctualClient> => PunctualClient.register(stack.api.url);

  it('ends the run after one attempt on a 400 with retryOn ["5xx"], saying why in the log', async () => {
    const client = await register();
    const path = pathFor('/status/400');
    const task = await client.createTask({
      url: `${stack.target.url}${path}`,
      retryOn: ['5xx', 'network'],
      maxRetries: 3,
      backoff: { type: 'fixed', delayMs: 200 },
    });

    const failed = await client.waitForStatus(task.id, 'failed');
    expect(failed).toMatchObject({
      attempts: 1,
      runCount: 1,
      lastStatusCode: 400,
      lastError: 'HTTP 400 (not retried: retryOn is 5xx, network)',
    });
    const logs = await client.taskLogs(task.id);
    expect(logs).toMatchObject([
      { attempt: 1, outcome: 'failed', statusCode: 400, error: 'HTTP 400 (not retried: retryOn is 5xx, network)' },
    ]);
    // Three retries 200 ms apart would have come by now.
    await sleep(1_000);
    expect(stack.target.hitsFor(path)).toHaveLength(1);
  });

  it('completes a task whose 404 is in successCodes', async () => {
    const client = await register();
    const task = await client.createTask({ url: `${stack.target.url}${pathFor('/status/404')}`, successCodes: ['2xx', 404] });

    expect(await client.waitForStatus(task.id, 'completed')).toMatchObject({ attempts: 1, lastOutcome: 'succeeded', lastStatusCode: 404 });
  });

  it('fills a template at each attempt, the retry included', async () => {
    const client = await register();
    const path = pathFor('/flaky/1');
    const task = await client.createTask({
      url: `${stack.target.url}${path}?run={{runId}}&n={{attempt}}&due={{scheduledFor}}`,
      method: 'POST',
      headers: { 'Idempotency-Key': '{{runId}}-{{attempt}}' },
      body: { task: '{{taskId}}', at: '{{now}}' },
      template: true,
      maxRetries: 2,
      backoff: { type: 'fixed', delayMs: 200 },
    });

    await client.waitForStatus(task.id, 'completed');
    const logs = await client.taskLogs(task.id);
    const byAttempt = [...logs].sort((a, b) => a.attempt - b.attempt);
    const hits = stack.target.hitsFor(path);
    expect(hits).toHaveLength(2);
    for (const [index, hit] of hits.entries()) {
      const log = byAttempt[index]!;
      expect(Object.fromEntries(new URLSearchParams(hit.query))).toEqual({
        run: log.runId,
        n: String(index + 1),
        due: log.scheduledFor,
      });
      expect(hit.headers['idempotency-key']).toBe(`${log.runId}-${index + 1}`);
      expect(JSON.parse(hit.body)).toEqual({ task: task.id, at: log.startedAt });
    }
  });
});
