import { PunctualApiError, type Task } from '@punctual/client';
import { describe, expect, it } from 'vitest';
import { fieldMessageOf, fieldPathOf } from '../src/api/api-error';
import {
  FormValueError,
  createBodyOf,
  emptyTaskForm,
  fieldOfApiPath,
  taskFormOf,
  updateBodyOf,
  type TaskFormValues,
} from '../src/components/task-form-values';

const form = (values: Partial<TaskFormValues>): TaskFormValues => ({
  ...emptyTaskForm(),
  name: 'Ping',
  url: 'https://example.com/hook',
  ...values,
});

const task: Task = {
  id: '6f1c1f8e-2f53-4d5e-9a39-0c4b0a3f9a11',
  userId: '0b6f5c1e-8a4e-4a39-9b2f-3c1a2d4e5f60',
  name: 'Nightly export',
  description: null,
  url: 'https://api.example.com/export',
  method: 'POST',
  headers: { 'X-Source': 'punctual', Authorization: '[redacted]' },
  body: { report: 'daily' },
  hasToken: false,
  scheduledAt: null,
  cron: '0 3 * * *',
  timezone: 'Europe/Berlin',
  nextRunAt: '2026-12-04T02:00:00.000Z',
  status: 'pending',
  maxRetries: 3,
  backoff: { type: 'exponential', delayMs: 10_000, maxDelayMs: 3_600_000, jitter: false },
  timeoutMs: 10_000,
  attempts: 0,
  runCount: 0,
  lastRunAt: null,
  lastOutcome: null,
  lastStatusCode: null,
  lastError: null,
  tags: ['export'],
  notify: { onFailure: true, onRetry: false },
  callbacks: {},
  successCodes: ['2xx'],
  retryOn: ['any'],
  flowControl: null,
  misfire: 'once',
  template: false,
  createdAt: '2026-12-03T10:00:00.000Z',
  updatedAt: '2026-12-03T10:00:00.000Z',
};

describe('createBodyOf', () => {
  it('sends what the form sets and leaves every other field to the server', () => {
    expect(createBodyOf(form({}))).toEqual({ name: 'Ping', url: 'https://example.com/hook', method: 'GET' });
  });

  it('reads a recurring schedule, comma-separated lists, header lines and a JSON body', () => {
    const body = createBodyOf(
      form({
        schedule: 'recurring',
        cron: ' */5 * * * * ',
        timezone: 'Europe/Berlin',
        tags: 'billing, nightly,',
        successCodes: '2xx, 404',
        retryOn: '5xx,network',
        headers: 'X-Source: punctual\n\nX-Trace: a:b',
        body: '{"n": 1}',
        maxRetries: 2,
      }),
    );
    expect(body).toEqual({
      name: 'Ping',
      url: 'https://example.com/hook',
      method: 'GET',
      cron: '*/5 * * * *',
      timezone: 'Europe/Berlin',
      misfire: 'once',
      tags: ['billing', 'nightly'],
      successCodes: ['2xx', 404],
      retryOn: ['5xx', 'network'],
      headers: { 'X-Source': 'punctual', 'X-Trace': 'a:b' },
      body: { n: 1 },
      maxRetries: 2,
    });
  });

  it('sends a text body as it is, and a one-off run time as an ISO instant', () => {
    const body = createBodyOf(form({ bodyFormat: 'text', body: '{not json', runAt: '2030-01-02T03:04' }));
    expect(body.body).toBe('{not json');
    expect(body.scheduledAt).toBe(new Date('2030-01-02T03:04').toISOString());
  });

  it('refuses only what cannot be sent at all, naming the field', () => {
    expect(() => createBodyOf(form({ body: '{not json' }))).toThrow(FormValueError);
    expect(() => createBodyOf(form({ headers: 'no colon here' }))).toThrow(expect.objectContaining({ field: 'headers' }));
  });
});

describe('updateBodyOf', () => {
  const initial = taskFormOf(task);

  it('sends nothing for an untouched form', () => {
    expect(updateBodyOf(initial, initial)).toEqual({});
  });

  it('sends only the fields that changed, cleared ones as null', () => {
    expect(updateBodyOf({ ...initial, name: 'Renamed', description: '' }, initial)).toEqual({ name: 'Renamed' });
    expect(updateBodyOf({ ...initial, headers: '' }, initial)).toEqual({ headers: null });
    expect(updateBodyOf({ ...initial, maxRetries: 5, tags: '' }, initial)).toEqual({ maxRetries: 5, tags: [] });
    expect(updateBodyOf({ ...initial, timeoutMs: '', retryOn: '' }, initial)).toEqual({ retryOn: ['any'] });
  });

  it("removes an emptied notify email with null (back to the owner's), which leaving it out would keep", () => {
    const withEmail = { ...initial, notifyEmail: 'ops@example.com' };
    expect(updateBodyOf({ ...withEmail, notifyEmail: '' }, withEmail)).toMatchObject({ notify: { email: null } });
    expect(updateBodyOf({ ...withEmail, notifyOnRetry: true }, withEmail)).toMatchObject({
      notify: { email: 'ops@example.com', onRetry: true },
    });
  });

  it('removes an emptied body with null, so the task may switch to HEAD', () => {
    expect(updateBodyOf({ ...initial, body: '' }, initial)).toEqual({ body: null });
    expect(updateBodyOf({ ...initial, body: '', method: 'HEAD' }, initial)).toEqual({ body: null, method: 'HEAD' });
  });

  it('never sends a redacted header back, which would store the placeholder as the secret', () => {
    const edited = { ...initial, headers: `${initial.headers}\nX-Extra: 1` };
    expect(() => updateBodyOf(edited, initial)).toThrow(expect.objectContaining({ field: 'headers' }));
  });

  it('makes a recurring task one-off with cron null and the run time', () => {
    const body = updateBodyOf({ ...initial, schedule: 'one-off', runAt: '2030-01-02T03:04' }, initial);
    expect(body).toEqual({ cron: null, scheduledAt: new Date('2030-01-02T03:04').toISOString() });
  });

  it('replaces or removes the token only when asked', () => {
    expect(updateBodyOf({ ...initial, token: 'new-secret' }, initial)).toEqual({ token: 'new-secret' });
    expect(updateBodyOf({ ...initial, removeToken: true }, initial)).toEqual({ token: null });
  });
});

describe('the field a 400 names', () => {
  it.each([
    [['url'], 'url'],
    [['backoff', 'delayMs'], 'backoffDelayMs'],
    [['notify', 'email'], 'notifyEmail'],
    [['flowControl'], 'flowKey'],
    [['headers', 'Host'], 'headers'],
    [['successCodes', '0'], 'successCodes'],
    [['scheduledAt'], 'runAt'],
    [['maxRetry'], undefined],
    [[], undefined],
  ])('maps %j to %s', (path, field) => {
    expect(fieldOfApiPath(path)).toBe(field);
  });

  it("reads the path from the API's message", () => {
    const error = new PunctualApiError(new Response(null, { status: 400 }), {
      statusCode: 400,
      error: 'Bad Request',
      message: 'body/backoff/delayMs must be >= 0',
    });
    expect(fieldPathOf(error)).toEqual(['backoff', 'delayMs']);
    expect(fieldPathOf(new Error('body/url is required'))).toEqual([]);
  });

  it('shows on the field what is wrong with it, a header keeping its name', () => {
    const refusal = (message: string) =>
      new PunctualApiError(new Response(null, { status: 400 }), { statusCode: 400, error: 'Bad Request', message });
    expect(fieldMessageOf(refusal('body/url must match format "uri"'))).toBe('must match format "uri"');
    expect(fieldMessageOf(refusal('body/headers/Host is set by Punctual and cannot be set by a task'))).toBe(
      'Host is set by Punctual and cannot be set by a task',
    );
    expect(fieldMessageOf(refusal('invalid email or password'))).toBe('invalid email or password');
  });
});
