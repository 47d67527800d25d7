import { describe, expect, it } from 'vitest';
import { authed, createTask, taskBody, type TaskResponse, useTestApp, expectRefused } from './test-app.js';

const t = useTestApp({ users: ['alice'] });
const { alice } = t.users;

function send(method: 'POST' | 'PATCH', url: string, payload: unknown) {
  return t.api.app.inject({ method, url, headers: authed(alice.token), payload: payload as object });
}

const CRON = { cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' };

describe('delivery options on a task', () => {
  it('show their defaults on a task that sets none', async () => {
    const task = await createTask(t.api.app, alice.token);
    expect(task).toMatchObject({ successCodes: ['2xx'], retryOn: ['any'], flowControl: null, misfire: 'once', template: false });
  });

  it('are stored as given (rules without repeats) and returned', async () => {
    const task = await createTask(t.api.app, alice.token, {
      ...CRON,
      successCodes: ['2xx', 404, '2xx'],
      retryOn: ['5xx', 429, 'network', 'timeout'],
      flowControl: { key: 'billing-api', parallelism: 2, ratePerSecond: 0.5 },
      misfire: 'all',
      template: true,
    });
    expect(task).toMatchObject({
      successCodes: ['2xx', 404],
      retryOn: ['5xx', 429, 'network', 'timeout'],
      flowControl: { key: 'billing-api', parallelism: 2, ratePerSecond: 0.5 },
      misfire: 'all',
      template: true,
    });
  });

  it('change on update; flowControl null removes it', async () => {
    const task = await createTask(t.api.app, alice.token, { ...CRON, flowControl: { key: 'a', parallelism: 1 } });
    const updated = await send('PATCH', `/api/v1/tasks/${task.id}`, { flowControl: null, misfire: 'skip', retryOn: ['5xx'] });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json<TaskResponse>()).toMatchObject({ flowControl: null, misfire: 'skip', retryOn: ['5xx'] });
  });

  it.each([
    ['body/successCodes', { successCodes: [] }],
    ['body/successCodes/0', { successCodes: ['6xx'] }],
    ['body/successCodes/0', { successCodes: [99] }],
    ['body/retryOn/1', { retryOn: ['5xx', 'sometimes'] }],
    ['body/flowControl', { flowControl: { key: 'k' } }],
    ['body/flowControl/key', { flowControl: { key: 'has space', parallelism: 1 } }],
    ['body/flowControl/parallelism', { flowControl: { key: 'k', parallelism: 0 } }],
    ['body/flowControl/ratePerSecond', { flowControl: { key: 'k', ratePerSecond: 0 } }],
    ['body/flowControl/ratePerSecond', { flowControl: { key: 'k', ratePerSecond: 1e-306 } }],
    ['body/misfire', { misfire: 'sometimes' }],
    ['body/misfire', { misfire: 'skip' }],
  ])('refuses %s on create (%j)', async (field, fields) => {
    expectRefused(await send('POST', '/api/v1/tasks', taskBody(fields)), field);
  });

  it('refuses making a task with misfire "skip" one-off unless misfire changes too', async () => {
    const task = await createTask(t.api.app, alice.token, { ...CRON, misfire: 'skip' });
    const scheduledAt = new Date(Date.now() + 60_000).toISOString();
    expectRefused(await send('PATCH', `/api/v1/tasks/${task.id}`, { cron: null, scheduledAt }), 'body/misfire');
    const changed = await send('PATCH', `/api/v1/tasks/${task.id}`, { cron: null, scheduledAt, misfire: 'once' });
    expect(changed.statusCode, changed.body).toBe(200);
  });
});
