import type { InjectOptions } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { authed, createTask, createTestApp, register, taskBody, type TaskResponse, countTasks, useTestApp } from './test-app.js';

const t = useTestApp({ users: ['alice'] });
const { alice } = t.users;
/** A task for the update cases, which must leave it as it is. */
let existing: TaskResponse;

beforeAll(async () => {
  existing = await createTask(t.api.app, alice.token, { name: 'untouched' });
});

interface Case {
  /** A JSON body (sent with content-type application/json). */
  body?: unknown;
  /** Raw body text, sent as is, with `contentType` (application/json unless given). */
  raw?: string;
  contentType?: string;
  method?: 'POST' | 'PATCH' | 'PUT' | 'GET';
  /** Defaults to POST /api/v1/tasks; `:id` is replaced with an existing task of the caller's. */
  url?: string;
  status: number;
  /** The field the message must name; omitted where the body is not JSON at all and there is no field. */
  field?: string;
}

const headersOf = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`X-Header-${i}`, 'v']));

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

const bodyCases: Record<string, Case> = {
  'an unknown field (maxRetry)': { body: taskBody({ maxRetry: 3 }), status: 400, field: 'body/maxRetry' },
  'a missing name': { body: { url: 'https://example.com' }, status: 400, field: 'body/name' },
  'an empty name': { body: taskBody({ name: '' }), status: 400, field: 'body/name' },
  'a name over 200 characters': { body: taskBody({ name: 'n'.repeat(201) }), status: 400, field: 'body/name' },
  'a missing url': { body: { name: 'x' }, status: 400, field: 'body/url' },
  'a url that is not a URL': { body: taskBody({ url: 'not a url' }), status: 400, field: 'body/url' },
  'an ftp:// url': { body: taskBody({ url: 'ftp://files.example.com/a' }), status: 400, field: 'body/url' },
  'a javascript: url': { body: taskBody({ url: 'javascript:alert(1)' }), status: 400, field: 'body/url' },
  'a url with credentials': { body: taskBody({ url: 'https://user:pass@example.com/hook' }), status: 400, field: 'body/url' },
  'a url with a user name only': { body: taskBody({ url: 'https://user@example.com/hook' }), status: 400, field: 'body/url' },
  'a url with no host': { body: taskBody({ url: 'http://' }), status: 400, field: 'body/url' },
  'a url of 2048 characters that normalizes to 2049': {
    body: taskBody({ url: `https://${'a'.repeat(2040)}` }),
    status: 400,
    field: 'body/url',
  },
  'a url over 2048 characters': { body: taskBody({ url: `https://example.com/${'a'.repeat(2040)}` }), status: 400, field: 'body/url' },
  // The address guard: an IP literal in a blocked range, in any spelling.
  'a url naming loopback as 127.1': { body: taskBody({ url: 'http://127.1:8080/hook' }), status: 400, field: 'body/url' },
  'a url naming loopback as [::ffff:7f00:1]': { body: taskBody({ url: 'http://[::ffff:7f00:1]/hook' }), status: 400, field: 'body/url' },
  'a url naming the cloud metadata address': { body: taskBody({ url: 'http://169.254.169.254/latest' }), status: 400, field: 'body/url' },
  'a url naming a private address as an integer': { body: taskBody({ url: 'http://167772161/' }), status: 400, field: 'body/url' },
  'method FETCH': { body: taskBody({ method: 'FETCH' }), status: 400, field: 'body/method' },
  'a lower-case method': { body: taskBody({ method: 'post' }), status: 400, field: 'body/method' },
  'header Host': { body: taskBody({ headers: { Host: 'evil.example.com' } }), status: 400, field: 'body/headers/Host' },
  'header Content-Length': { body: taskBody({ headers: { 'Content-Length': '5' } }), status: 400, field: 'body/headers/Content-Length' },
  'header Transfer-Encoding': {
    body: taskBody({ headers: { 'transfer-encoding': 'chunked' } }),
    status: 400,
    field: 'body/headers/transfer-encoding',
  },
  'header Connection': { body: taskBody({ headers: { Connection: 'close' } }), status: 400, field: 'body/headers/Connection' },
  'header Punctual-Attempt': {
    body: taskBody({ headers: { 'Punctual-Attempt': '1' } }),
    status: 400,
    field: 'body/headers/Punctual-Attempt',
  },
  'header webhook-signature': {
    body: taskBody({ headers: { 'webhook-signature': 'v1,x' } }),
    status: 400,
    field: 'body/headers/webhook-signature',
  },
  'a header value with CR/LF': { body: taskBody({ headers: { 'X-Bad': 'a\r\nInjected: yes' } }), status: 400, field: 'body/headers/X-Bad' },
  'a header value with a bare LF': { body: taskBody({ headers: { 'X-Bad': 'a\nb' } }), status: 400, field: 'body/headers/X-Bad' },
  // undici refuses to send any of these at attempt time: a value may hold tab, 0x20–0x7E and 0x80–0xFF only.
  'a header value with a control character (0x01)': {
    body: taskBody({ headers: { 'X-Bad': 'a\u0001b' } }),
    status: 400,
    field: 'body/headers/X-Bad',
  },
  'a header value with DEL (0x7F)': { body: taskBody({ headers: { 'X-Bad': 'a\u007Fb' } }), status: 400, field: 'body/headers/X-Bad' },
  'a header value with U+0100': { body: taskBody({ headers: { 'X-Bad': 'Ā' } }), status: 400, field: 'body/headers/X-Bad' },
  'a header value with an emoji': { body: taskBody({ headers: { 'X-Bad': 'ok 🚀' } }), status: 400, field: 'body/headers/X-Bad' },
  'a sensitive header value with an emoji': {
    body: taskBody({ headers: { 'X-Api-Key': '🔑' } }),
    status: 400,
    field: 'body/headers/X-Api-Key',
  },
  'a token with a CR/LF (sent as a header)': { body: taskBody({ token: 'a\r\nInjected: yes' }), status: 400, field: 'body/token' },
  'a token with a character above U+00FF': { body: taskBody({ token: 'tök€n' }), status: 400, field: 'body/token' },
  'a header name with a non-token character': {
    body: taskBody({ headers: { 'X-Bad(1)': 'v' } }),
    status: 400,
    field: 'body/headers/X-Bad(1)',
  },
  'a header name of 257 characters': { body: taskBody({ headers: { ['X'.repeat(257)]: 'v' } }), status: 400, field: 'body/headers/XXX' },
  'a header name with a space': { body: taskBody({ headers: { 'X Bad': 'v' } }), status: 400, field: 'body/headers/X Bad' },
  'a header repeated in another case': {
    body: taskBody({ headers: { 'X-Dup': '1', 'x-dup': '2' } }),
    status: 400,
    field: 'body/headers/x-dup',
  },
  '51 headers': { body: taskBody({ headers: headersOf(51) }), status: 400, field: 'body/headers' },
  'a non-string header value': { body: taskBody({ headers: { 'X-Num': 1 } }), status: 400, field: 'body/headers/X-Num' },
  'an Authorization header together with token': {
    body: taskBody({ headers: { Authorization: 'Bearer a' }, token: 'b' }),
    status: 400,
    field: 'body/headers/Authorization',
  },
  'a body with HEAD': { body: taskBody({ method: 'HEAD', body: { a: 1 } }), status: 400, field: 'body/body' },
  'maxRetries 26': { body: taskBody({ maxRetries: 26 }), status: 400, field: 'body/maxRetries' },
  'maxRetries -1': { body: taskBody({ maxRetries: -1 }), status: 400, field: 'body/maxRetries' },
  'maxRetries "3" (a string: body types are strict)': { body: taskBody({ maxRetries: '3' }), status: 400, field: 'body/maxRetries' },
  'maxRetries 1.5': { body: taskBody({ maxRetries: 1.5 }), status: 400, field: 'body/maxRetries' },
  'timeoutMs 99': { body: taskBody({ timeoutMs: 99 }), status: 400, field: 'body/timeoutMs' },
  'timeoutMs 300001': { body: taskBody({ timeoutMs: 300_001 }), status: 400, field: 'body/timeoutMs' },
  '21 tags': { body: taskBody({ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }), status: 400, field: 'body/tags' },
  'a tag of 51 characters': { body: taskBody({ tags: ['ok', 't'.repeat(51)] }), status: 400, field: 'body/tags/1' },
  'an empty tag': { body: taskBody({ tags: [''] }), status: 400, field: 'body/tags/0' },
  'scheduledAt "tomorrow"': { body: taskBody({ scheduledAt: 'tomorrow' }), status: 400, field: 'body/scheduledAt' },
  'scheduledAt without a time zone': { body: taskBody({ scheduledAt: '2026-11-22T10:30:00' }), status: 400, field: 'body/scheduledAt' },
  'scheduledAt on February 30': { body: taskBody({ scheduledAt: '2026-02-30T10:30:00Z' }), status: 400, field: 'body/scheduledAt' },
  'backoff.type "linear"': { body: taskBody({ backoff: { type: 'linear' } }), status: 400, field: 'body/backoff/type' },
  'an extra backoff field': { body: taskBody({ backoff: { type: 'fixed', factor: 2 } }), status: 400, field: 'body/backoff/factor' },
  'a negative backoff.delayMs': { body: taskBody({ backoff: { delayMs: -1 } }), status: 400, field: 'body/backoff/delayMs' },
  'an invalid notify.email': { body: taskBody({ notify: { email: 'not-an-email' } }), status: 400, field: 'body/notify/email' },
  'an extra notify field': { body: taskBody({ notify: { onSuccess: true } }), status: 400, field: 'body/notify/onSuccess' },
  'a description over 2000 characters': { body: taskBody({ description: 'd'.repeat(2001) }), status: 400, field: 'body/description' },
  'a token of 0 characters': { body: taskBody({ token: '' }), status: 400, field: 'body/token' },
  'a NUL character in name': { body: taskBody({ name: 'a\u0000b' }), status: 400, field: 'body/name' },
  'a NUL character in a header value': { body: taskBody({ headers: { 'X-Nul': 'a\u0000b' } }), status: 400, field: 'body/headers/X-Nul' },
  'a NUL character in a header name': { body: taskBody({ headers: { 'X-\u0000': 'v' } }), status: 400, field: 'body/headers' },
  'a NUL character inside body JSON': {
    body: taskBody({ method: 'POST', body: { note: ['ok', 'a\u0000b'] } }),
    status: 400,
    field: 'body/body/note/1',
  },
  'an unpaired surrogate in name': { raw: '{"name":"\\ud800","url":"https://example.com"}', status: 400, field: 'body/name' },
  'an unpaired surrogate in a body key': {
    raw: '{"name":"x","url":"https://example.com","method":"POST","body":{"\\udc00":1}}',
    status: 400,
    field: 'body/body',
  },
  'a body nested 100 levels deep': { body: taskBody({ method: 'POST', body: nested(100) }), status: 400, field: 'body/body' },
  'malformed JSON': { raw: '{"name": "x", "url": ', status: 400 },
  'an empty body with content-type application/json': { raw: '', status: 400 },
  'a JSON array instead of an object': { raw: '[]', status: 400, field: 'body' },
  'JSON null': { raw: 'null', status: 400, field: 'body' },
  'content-type text/plain': { raw: 'name=x', contentType: 'text/plain', status: 415 },
  'content-type application/x-www-form-urlencoded': {
    raw: 'name=x&url=https://example.com',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
  },
  'a body over 1 MiB': { body: taskBody({ method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) }), status: 413 },
  'a __proto__ key': { raw: '{"name":"x","url":"https://example.com","__proto__":{"isAdmin":true}}', status: 400, field: 'body/__proto__' },
  'a __proto__ key inside headers': {
    raw: '{"name":"x","url":"https://example.com","headers":{"__proto__":{"a":"b"}}}',
    status: 400,
    field: 'body/headers/__proto__',
  },
  'a nested constructor.prototype key': {
    raw: '{"name":"x","url":"https://example.com","method":"POST","body":{"constructor":{"prototype":{"polluted":true}}}}',
    status: 400,
    field: 'body/body/constructor/prototype',
  },
  'a number beyond the range of a double in body': {
    raw: '{"name":"x","url":"https://example.com","method":"POST","body":{"n":[1,-1e400]}}',
    status: 400,
    field: 'body/body/n/1',
  },
};

const updateCases: Record<string, Case> = {
  'an update with an unknown field (status)': {
    method: 'PATCH',
    url: '/api/v1/tasks/:id',
    body: { status: 'completed' },
    status: 400,
    field: 'body/status',
  },
  'an update with an empty name': { method: 'PATCH', url: '/api/v1/tasks/:id', body: { name: '' }, status: 400, field: 'body/name' },
  'an update with an ftp:// url': {
    method: 'PUT',
    url: '/api/v1/tasks/:id',
    body: { url: 'ftp://example.com' },
    status: 400,
    field: 'body/url',
  },
  'an update with header Host': {
    method: 'PATCH',
    url: '/api/v1/tasks/:id',
    body: { headers: { Host: 'x' } },
    status: 400,
    field: 'body/headers/Host',
  },
  'an update with scheduledAt "tomorrow"': {
    method: 'PATCH',
    url: '/api/v1/tasks/:id',
    body: { scheduledAt: 'tomorrow' },
    status: 400,
    field: 'body/scheduledAt',
  },
  'an update with a header value above U+00FF': {
    method: 'PATCH',
    url: '/api/v1/tasks/:id',
    body: { headers: { 'X-A': '€' } },
    status: 400,
    field: 'body/headers/X-A',
  },
  'an update with a token holding LF': {
    method: 'PATCH',
    url: '/api/v1/tasks/:id',
    body: { token: 'a\nb' },
    status: 400,
    field: 'body/token',
  },
  'an update to a url naming a private address': {
    method: 'PATCH',
    url: '/api/v1/tasks/:id',
    body: { url: 'https://192.168.0.10/admin' },
    status: 400,
    field: 'body/url',
  },
  'an update with a url with credentials': {
    method: 'PATCH',
    url: '/api/v1/tasks/:id',
    body: { url: 'https://u:p@example.com/' },
    status: 400,
    field: 'body/url',
  },
  'an update with a __proto__ key': {
    method: 'PATCH',
    url: '/api/v1/tasks/:id',
    raw: '{"__proto__":{"name":"x"}}',
    status: 400,
    field: 'body/__proto__',
  },
  'an update with a NUL in description': {
    method: 'PATCH',
    url: '/api/v1/tasks/:id',
    body: { description: '\u0000' },
    status: 400,
    field: 'body/description',
  },
  'an update with a string maxRetries': {
    method: 'PUT',
    url: '/api/v1/tasks/:id',
    body: { maxRetries: '3' },
    status: 400,
    field: 'body/maxRetries',
  },
  'an update with an empty body {}': { method: 'PATCH', url: '/api/v1/tasks/:id', body: {}, status: 400, field: 'body' },
};

const queryCases: Record<string, Case> = {
  'limit 0': { method: 'GET', url: '/api/v1/tasks?limit=0', status: 400, field: 'querystring/limit' },
  'limit 101': { method: 'GET', url: '/api/v1/tasks?limit=101', status: 400, field: 'querystring/limit' },
  'limit "abc"': { method: 'GET', url: '/api/v1/tasks?limit=abc', status: 400, field: 'querystring/limit' },
  'limit given twice': { method: 'GET', url: '/api/v1/tasks?limit=1&limit=2', status: 400, field: 'querystring/limit' },
  'page 0': { method: 'GET', url: '/api/v1/tasks?page=0', status: 400, field: 'querystring/page' },
  'page -1': { method: 'GET', url: '/api/v1/tasks?page=-1', status: 400, field: 'querystring/page' },
  'sort "name"': { method: 'GET', url: '/api/v1/tasks?sort=name', status: 400, field: 'querystring/sort' },
  'status "bogus"': { method: 'GET', url: '/api/v1/tasks?status=bogus', status: 400, field: 'querystring/status' },
  'userId not a UUID': { method: 'GET', url: '/api/v1/tasks?userId=42', status: 400, field: 'querystring/userId' },
  'an unknown query parameter': { method: 'GET', url: '/api/v1/tasks?stauts=pending', status: 400, field: 'querystring/stauts' },
  'a NUL character in q': { method: 'GET', url: '/api/v1/tasks?q=%00', status: 400, field: 'querystring/q' },
  'logs: outcome "bogus"': { method: 'GET', url: '/api/v1/logs?outcome=bogus', status: 400, field: 'querystring/outcome' },
  'logs: from "yesterday"': { method: 'GET', url: '/api/v1/logs?from=yesterday', status: 400, field: 'querystring/from' },
  'logs: taskId not a UUID': { method: 'GET', url: '/api/v1/logs?taskId=1', status: 400, field: 'querystring/taskId' },
  'task logs: limit 101': { method: 'GET', url: '/api/v1/tasks/:id/logs?limit=101', status: 400, field: 'querystring/limit' },
};

async function send(test: Case) {
  const options: InjectOptions = {
    method: test.method ?? 'POST',
    url: (test.url ?? '/api/v1/tasks').replace(':id', existing.id),
    headers: authed(alice.token),
  };
  if (test.raw !== undefined) {
    options.headers = { ...options.headers, 'content-type': test.contentType ?? 'application/json' };
    options.payload = test.raw;
  } else if (test.body !== undefined) {
    options.payload = test.body as object;
  }
  return t.api.app.inject(options);
}

describe.each([
  ['request bodies', bodyCases],
  ['update bodies', updateCases],
  ['query strings', queryCases],
])('refuses invalid %s', (_kind, cases) => {
  it.each(Object.entries(cases))(
    'refuses %s with its 4xx (naming the field where there is one), creating and changing nothing',
    async (_label, test) => {
      const before = await countTasks(t.env.db);

      const response = await send(test);

      // Never a 500, whatever the input.
      expect(response.statusCode, response.body).toBeLessThan(500);
      expect(response.statusCode, response.body).toBe(test.status);
      const error = response.json<{ statusCode: number; error: string; message: string }>();
      expect(error).toMatchObject({ statusCode: test.status, error: expect.any(String), message: expect.any(String) });
      if (test.field !== undefined) expect(error.message).toContain(test.field);
      expect(response.body).not.toMatch(/\bat .+:\d+:\d+|node_modules|INSERT INTO|SELECT /);
      expect(await countTasks(t.env.db)).toBe(before);
      const row = await t.env.db.selectFrom('tasks').selectAll().where('id', '=', existing.id).executeTakeFirstOrThrow();
      expect(row.name).toBe('untouched');
      expect(row.updated_at.toISOString()).toBe(existing.updatedAt);
    },
  );
});

describe('accepts the boundaries', () => {
  it.each([
    ['a name of 200 characters', { name: 'n'.repeat(200) }],
    ['50 headers', { headers: headersOf(50) }],
    ['maxRetries 0', { maxRetries: 0 }],
    ['maxRetries 25', { maxRetries: 25 }],
    ['timeoutMs 100', { timeoutMs: 100 }],
    ['timeoutMs 300000', { timeoutMs: 300_000 }],
    ['20 tags of 50 characters', { tags: Array.from({ length: 20 }, (_, i) => String(i).padEnd(50, 'x')) }],
    ['a description of 2000 characters', { description: 'd'.repeat(2000) }],
    ['a url of 2048 characters', { url: `https://example.com/${'a'.repeat(2048 - 'https://example.com/'.length)}` }],
    ['a body nested 60 levels deep', { method: 'POST', body: nested(60) }],
    ['header values with tab, space and Latin-1 (0x80–0xFF)', { headers: { 'X-Latin1': 'café\tÿ ok', 'X-Empty': '' } }],
    ['a header name of 256 token characters', { headers: { ['X'.repeat(256)]: 'v' } }],
    ['a token with Latin-1 characters', { token: 'tökén' }],
    ['content-type with a charset', {}],
  ])('accepts %s (201)', async (_label, overrides) => {
    const response = await t.api.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: { ...authed(alice.token), 'content-type': 'application/json; charset=utf-8' },
      payload: JSON.stringify(taskBody(overrides)),
    });

    expect(response.statusCode, response.body).toBe(201);
  });
});

describe('the address guard at create', () => {
  it('names the blocked address and its range in the 400', async () => {
    const response = await t.api.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: authed(alice.token),
      payload: taskBody({ url: 'http://0x7f.1:8080/hook' }),
    });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: 'PUNCTUAL_INVALID_INPUT',
      message: 'body/url names the blocked address 127.0.0.1 (loopback): workers only call public addresses',
    });
  });

  it('accepts a host name, which the worker checks on the addresses it resolves to (201)', async () => {
    const task = await createTask(t.api.app, alice.token, { url: 'http://localhost:8080/hook' });

    expect(task.url).toBe('http://localhost:8080/hook');
  });

  it('accepts a blocked address when ALLOW_PRIVATE_TARGETS=true (201)', async () => {
    const open = await createTestApp(t.env, { env: { ALLOW_PRIVATE_TARGETS: 'true' } });
    try {
      const session = await register(open.app);

      const task = await createTask(open.app, session.token, { url: 'http://127.1:8080/hook' });

      expect(task.url).toBe('http://127.0.0.1:8080/hook');
    } finally {
      await open.close();
    }
  });
});
