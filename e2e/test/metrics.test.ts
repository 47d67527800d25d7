import { parsePrometheusText, type PrometheusScrape } from '@punctual/testing';
import { describe, expect, it } from 'vitest';
import { PunctualClient, useRunningStack } from './punctual-client.js';

async function scrape(url: string): Promise<PrometheusScrape> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return parsePrometheusText(await response.text());
}

// The processes as an operator runs them: /metrics on the API's port and on the worker's WORKER_HTTP_PORT.
describe('metrics of the running processes', () => {
  const stack = useRunningStack({ workers: 1 });

  it('count a task created through the API and its attempt in the worker that made it', async () => {
    const client = await PunctualClient.register(stack.api.url);
    const task = await client.createTask({ url: `${stack.target.url}/ok/metrics` });
    await client.waitForStatus(task.id, 'completed');

    const api = await scrape(`${stack.api.url}/metrics`);
    expect(api.value('punctual_tasks_created_total')).toBe(1);
    expect(api.value('punctual_http_requests_total', { method: 'POST', route: '/api/v1/tasks', status_code: '201' })).toBe(1);
    expect(api.sum('punctual_http_requests_total', { route: '/api/v1/tasks/:id' })).toBeGreaterThanOrEqual(1);
    expect(api.types.get('process_resident_memory_bytes')).toBe('gauge');

    const worker = await scrape(`${stack.workers[0]!.healthUrl}/metrics`);
    expect(worker.value('punctual_attempts_total', { outcome: 'succeeded' })).toBe(1);
    expect(worker.value('punctual_attempts_total', { outcome: 'failed' })).toBe(0);
    expect(worker.value('punctual_attempt_lateness_seconds_count')).toBe(1);
    expect(worker.value('punctual_attempts_in_flight')).toBe(0);
    expect(worker.value('punctual_queue_jobs', { state: 'active' })).toBe(0);
    expect(worker.types.get('process_cpu_seconds_total')).toBe('counter');
  });
});
