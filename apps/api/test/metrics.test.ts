import { randomUUID } from 'node:crypto';
import { parsePrometheusText, type PrometheusScrape } from '@punctual/testing';
import { describe, expect, it } from 'vitest';
import { authed, createTask, register, taskBody, useTestApp } from './test-app.js';

// Tests run one at a time in a file, so a difference between two scrapes is what the test did (plus its scrapes).
const RATE_LIMIT_MAX = 20;
const t = useTestApp({ users: ['alice'], env: { RATE_LIMIT_MAX: String(RATE_LIMIT_MAX) } });
const { alice } = t.users;

const REQUESTS = 'punctual_http_requests_total';
const DURATION = 'punctual_http_request_duration_seconds';
const CREATED = 'punctual_tasks_created_total';

async function scrape(headers: Record<string, string> = {}): Promise<PrometheusScrape> {
  const response = await t.api.app.inject({ method: 'GET', url: '/metrics', headers });
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(response.body);
}

const requests = (scraped: PrometheusScrape, labels: Record<string, string>) => scraped.sum(REQUESTS, labels);

describe('GET /metrics on the API', () => {
  it('answers without credentials, with the request metrics, tasks created and the default process metrics', async () => {
    const scraped = await scrape();

    expect(scraped.types.get(REQUESTS)).toBe('counter');
    expect(scraped.types.get(DURATION)).toBe('histogram');
    expect(scraped.types.get(CREATED)).toBe('counter');
    expect(scraped.types.get('process_cpu_seconds_total')).toBe('counter');
    expect(scraped.types.get('process_resident_memory_bytes')).toBe('gauge');
    expect(scraped.types.get('nodejs_eventloop_lag_p99_seconds')).toBe('gauge');
  });

  it('labels a request to a parameterised route with its template, method and status', async () => {
    const task = await createTask(t.api.app, alice.token);
    const before = await scrape();
    const template = { method: 'GET', route: '/api/v1/tasks/:id', status_code: '200' };

    const response = await t.api.app.inject({ method: 'GET', url: `/api/v1/tasks/${task.id}`, headers: authed(alice.token) });
    expect(response.statusCode).toBe(200);
    const missing = await t.api.app.inject({ method: 'GET', url: `/api/v1/tasks/${randomUUID()}`, headers: authed(alice.token) });
    expect(missing.statusCode).toBe(404);
    const after = await scrape();

    expect(requests(after, template) - requests(before, template)).toBe(1);
    expect(requests(after, { ...template, status_code: '404' }) - requests(before, { ...template, status_code: '404' })).toBe(1);
    expect(after.value(`${DURATION}_count`, template) - before.sum(`${DURATION}_count`, template)).toBe(1);
    expect(after.value(`${DURATION}_bucket`, { ...template, le: '+Inf' })).toBe(after.value(`${DURATION}_count`, template));
    // No label anywhere carries the task's id.
    expect(after.samples.filter((sample) => Object.values(sample.labels).some((value) => value.includes(task.id)))).toEqual([]);
  });

  it('counts requests to unknown paths under one route label, whatever the URL', async () => {
    const before = await scrape();
    const unmatched = { method: 'GET', route: 'unmatched', status_code: '404' };

    for (const path of ['/nope', `/api/v1/${randomUUID()}`, '/api/v1/tasks/x/y/z?q=1']) {
      expect((await t.api.app.inject({ method: 'GET', url: path })).statusCode).toBe(404);
    }
    const after = await scrape();

    expect(requests(after, unmatched) - requests(before, unmatched)).toBe(3);
    const routes = new Set(after.find(REQUESTS).map((sample) => sample.labels.route));
    expect([...routes].filter((route) => route !== 'unmatched' && !route!.startsWith('/'))).toEqual([]);
    expect([...routes].filter((route) => route!.includes('nope') || route!.includes('x/y/z'))).toEqual([]);
  });

  it('counts a created task once, and neither an idempotent replay nor a refused create', async () => {
    const before = (await scrape()).value(CREATED);
    const body = taskBody({ name: `metrics ${randomUUID()}` });
    const create = (payload: Record<string, unknown>, key?: string) =>
      t.api.app.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: { ...authed(alice.token), ...(key === undefined ? {} : { 'idempotency-key': key }) },
        payload,
      });

    expect((await create(body, 'metrics-key')).statusCode).toBe(201);
    expect((await create(body, 'metrics-key')).statusCode).toBe(200);
    expect((await create({ ...body, url: 'not a url' })).statusCode).toBe(400);
    expect((await create(taskBody())).statusCode).toBe(201);

    expect((await scrape()).value(CREATED) - before).toBe(2);
  });

  it('is not rate limited, also for a client whose API quota is used up', async () => {
    const bob = await register(t.api.app);
    const me = () => t.api.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: authed(bob.token) });
    const statuses = [];
    for (let request = 0; request <= RATE_LIMIT_MAX; request += 1) statuses.push((await me()).statusCode);
    expect(statuses.at(-1)).toBe(429);

    for (let scrapeNumber = 0; scrapeNumber <= RATE_LIMIT_MAX; scrapeNumber += 1) {
      const scraped = await scrape(authed(bob.token));
      expect(scraped.value(REQUESTS, { method: 'GET', route: '/api/v1/auth/me', status_code: '429' })).toBe(1);
    }
  });
});
