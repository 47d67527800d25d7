import { describe, expect, it } from 'vitest';
import { authed, createTask, taskBody, type TaskResponse, useTestApp, expectRefused } from './test-app.js';

const t = useTestApp({ users: ['alice'] });
const { alice } = t.users;

function send(method: 'POST' | 'PATCH', url: string, payload: unknown) {
  return t.api.app.inject({ method, url, headers: authed(alice.token), payload: payload as object });
}

const PLACEHOLDERS = 'the placeholders are {{taskId}}, {{runId}}, {{attempt}}, {{scheduledFor}}, {{now}}';

describe('outcome rules beyond their shape', () => {
  it.each([
    ['body/retryOn/1', { retryOn: ['5xx', 'any'] }, 'retries every failure already: give "any" alone'],
    ['body/retryOn/0', { retryOn: [404], successCodes: ['2xx', 404] }, '404 counts as success (successCodes), so it is never retried'],
    ['body/retryOn/1', { retryOn: ['5xx', '2xx'] }, '2xx counts as success (successCodes), so it is never retried'],
  ])('refuses %s on create (%j)', async (field, fields, problem) => {
    expect(expectRefused(await send('POST', '/api/v1/tasks', taskBody(fields)), field)).toBe(`${field} ${problem}`);
  });

  it('accepts rules that leave some statuses to retry', async () => {
    const task = await createTask(t.api.app, alice.token, { successCodes: [404], retryOn: ['4xx', 'network'] });
    expect(task).toMatchObject({ successCodes: [404], retryOn: ['4xx', 'network'] });
  });

  it('checks an update against the stored rules, naming what the update gives', async () => {
    const task = await createTask(t.api.app, alice.token, { retryOn: [404, '5xx'] });

    const message = expectRefused(await send('PATCH', `/api/v1/tasks/${task.id}`, { successCodes: ['2xx', 404] }), 'body/successCodes');
    expect(message).toContain('retryOn entry 404');
    expectRefused(await send('PATCH', `/api/v1/tasks/${task.id}`, { retryOn: ['any', 'network'] }), 'body/retryOn/0');
    const both = await send('PATCH', `/api/v1/tasks/${task.id}`, { successCodes: ['2xx', 404], retryOn: ['5xx'] });
    expect(both.statusCode, both.body).toBe(200);
    expect(both.json<TaskResponse>()).toMatchObject({ successCodes: ['2xx', 404], retryOn: ['5xx'] });
  });
});

describe('templates at create', () => {
  it('stores placeholders as given and returns them', async () => {
    const task = await createTask(t.api.app, alice.token, {
      url: 'https://api.example.com/hook?run={{runId}}&n={{attempt}}',
      method: 'POST',
      headers: { 'X-Run': '{{runId}}', 'Idempotency-Key': '{{runId}}-{{attempt}}' },
      body: { due: '{{scheduledFor}}', at: 'now is {{now}}', task: '{{taskId}}' },
      template: true,
    });
    expect(task).toMatchObject({
      template: true,
      url: 'https://api.example.com/hook?run={{runId}}&n={{attempt}}',
      headers: { 'X-Run': '{{runId}}', 'Idempotency-Key': '[redacted]' },
      body: { due: '{{scheduledFor}}', at: 'now is {{now}}', task: '{{taskId}}' },
    });
  });

  it.each([
    ['body/url', { url: 'https://api.example.com/hook?x={{foo}}' }, `has an unknown placeholder {{foo}}: ${PLACEHOLDERS}`],
    ['body/url', { url: 'https://api.example.com/{{taskId}}/hook' }, 'may hold placeholders only in its query'],
    ['body/url', { url: 'https://{{taskId}}.example.com/hook' }, 'may hold placeholders only in its query'],
    ['body/url', { url: 'https://api.example.com/hook#{{now}}' }, 'may hold placeholders only in its query'],
    ['body/headers/X-Name', { headers: { 'X-Name': '{{ taskId }}' } }, 'has an unknown placeholder {{ taskId }}'],
    ['body/headers/X-Api-Key', { headers: { 'X-Api-Key': 'k-{{nope}}' } }, 'has an unknown placeholder {{nope}}'],
    ['body/body', { method: 'POST', body: { a: { b: ['{{x}}'] } } }, 'has an unknown placeholder {{x}}'],
    ['body/body', { method: 'POST', body: { '{{runId}}': 1 } }, 'has a placeholder in an object key (at /{{runId}})'],
    ['body/body', { method: 'POST', body: 'text {{RunId}}' }, 'has an unknown placeholder {{RunId}}'],
  ])('refuses %s (%j)', async (field, fields, problem) => {
    expect(expectRefused(await send('POST', '/api/v1/tasks', taskBody({ ...fields, template: true })), field)).toContain(problem);
  });

  it('takes every brace literally without template', async () => {
    const task = await createTask(t.api.app, alice.token, {
      url: 'https://api.example.com/hook?x={{foo}}',
      headers: { 'X-Name': '{{ taskId }}' },
      method: 'POST',
      body: { '{{runId}}': '{{x}}' },
    });
    expect(task).toMatchObject({ template: false, url: 'https://api.example.com/hook?x={{foo}}', body: { '{{runId}}': '{{x}}' } });
  });
});

describe('templates on update', () => {
  it('checks what is stored when template is turned on, sealed header values included', async () => {
    const inBody = await createTask(t.api.app, alice.token, { method: 'POST', body: { a: '{{foo}}' } });
    expectRefused(await send('PATCH', `/api/v1/tasks/${inBody.id}`, { template: true }), 'body/body');
    const fixed = await send('PATCH', `/api/v1/tasks/${inBody.id}`, { template: true, body: { a: '{{attempt}}' } });
    expect(fixed.statusCode, fixed.body).toBe(200);

    const inSecret = await createTask(t.api.app, alice.token, { headers: { 'X-Api-Key': '{{secret}}' } });
    expectRefused(await send('PATCH', `/api/v1/tasks/${inSecret.id}`, { template: true }), 'body/headers/X-Api-Key');

    const inUrl = await createTask(t.api.app, alice.token, { url: 'https://api.example.com/hook?x={{foo}}' });
    expectRefused(await send('PATCH', `/api/v1/tasks/${inUrl.id}`, { template: true }), 'body/url');
  });

  it('checks what an update gives to a template task, and leaves the rest as it is', async () => {
    const task = await createTask(t.api.app, alice.token, { url: 'https://api.example.com/hook?n={{attempt}}', template: true });
    expectRefused(await send('PATCH', `/api/v1/tasks/${task.id}`, { url: 'https://api.example.com/{{runId}}' }), 'body/url');
    expectRefused(await send('PATCH', `/api/v1/tasks/${task.id}`, { headers: { 'X-A': '{{later}}' } }), 'body/headers/X-A');
    const renamed = await send('PATCH', `/api/v1/tasks/${task.id}`, { name: 'still a template' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    const off = await send('PATCH', `/api/v1/tasks/${task.id}`, { template: false, headers: { 'X-A': '{{later}}' } });
    expect(off.statusCode, off.body).toBe(200);
  });
});
