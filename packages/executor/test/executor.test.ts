import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { startTargetServer, type TargetServer } from '@punctual/testing';
import { createExecutor, createOutboundAgent, type Executor, type OutboundRequest } from '../src/index.js';
import { listen, shut } from './one-off-server.js';

const LIMIT = 1024;
// Every target here listens on 127.0.0.1, which the address guard refuses by default (address-guard.test.ts pins that).

let target: TargetServer;
let executor: Executor;

beforeAll(async () => {
  target = await startTargetServer();
  executor = createExecutor({ responseBodyLimitBytes: LIMIT, userAgent: 'punctual/test', allowPrivateTargets: true });
});

afterAll(async () => {
  await executor.close();
  await target.close();
});

function call(path: string, overrides: Partial<OutboundRequest> = {}): OutboundRequest {
  return { url: `${target.url}${path}`, method: 'GET', headers: {}, timeoutMs: 2_000, ...overrides };
}

interface Echo {
  method: string;
  headers: Record<string, string | undefined>;
  body: string;
}

function echoed(responseBody: string | null): Echo {
  return JSON.parse(responseBody ?? 'null') as Echo;
}

describe('a successful call', () => {
  it('succeeds on a 2xx and captures status, headers and body', async () => {
    const result = await executor.execute(call('/ok'));

    expect(result).toMatchObject({
      outcome: 'succeeded',
      statusCode: 200,
      error: null,
      responseBody: '{"ok":true}',
      responseTruncated: false,
      retryAfterMs: null,
    });
    expect(result.responseHeaders['content-type']).toBe('application/json');
    expect(Number.isInteger(result.durationMs)).toBe(true);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('joins repeated response headers with ", " under lower-case names', async () => {
    const { server, url } = await listen((_req, res) => {
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.setHeader('X-Custom', 'yes');
      res.end('ok');
    });
    try {
      const result = await executor.execute({ url, method: 'GET', headers: {}, timeoutMs: 2_000 });

      expect(result.responseHeaders['set-cookie']).toBe('a=1, b=2');
      expect(result.responseHeaders['x-custom']).toBe('yes');
    } finally {
      await shut(server);
    }
  });

  it('dispatches through a dispatcher given in options, which close() leaves open', async () => {
    const agent = createOutboundAgent({ allowPrivateTargets: true });
    try {
      const first = createExecutor({ responseBodyLimitBytes: LIMIT, userAgent: 'punctual/test', dispatcher: agent });
      expect((await first.execute(call('/ok'))).outcome).toBe('succeeded');
      await first.close();

      const second = createExecutor({ responseBodyLimitBytes: LIMIT, userAgent: 'punctual/test', dispatcher: agent });
      expect((await second.execute(call('/ok'))).outcome).toBe('succeeded');
    } finally {
      await agent.close();
    }
  });
});

describe('what is sent', () => {
  it('sends an object body as JSON with content-type application/json', async () => {
    const result = await executor.execute(call('/echo', { method: 'POST', body: { hello: 'world', n: [1, 2] } }));

    const echo = echoed(result.responseBody);
    expect(echo.method).toBe('POST');
    expect(echo.body).toBe('{"hello":"world","n":[1,2]}');
    expect(echo.headers['content-type']).toBe('application/json');
  });

  it('sends falsy JSON values (0, false) as JSON rather than as no body', async () => {
    const zero = echoed((await executor.execute(call('/echo', { method: 'PUT', body: 0 }))).responseBody);
    const no = echoed((await executor.execute(call('/echo', { method: 'PATCH', body: false }))).responseBody);

    expect(zero.body).toBe('0');
    expect(no.body).toBe('false');
    expect(no.headers['content-type']).toBe('application/json');
  });

  it('sends a string body as is with content-type text/plain', async () => {
    const result = await executor.execute(call('/echo', { method: 'POST', body: '{"already":"json"}' }));

    const echo = echoed(result.responseBody);
    expect(echo.body).toBe('{"already":"json"}');
    expect(echo.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it("keeps the caller's content-type whatever the case of its name", async () => {
    const result = await executor.execute(
      call('/echo', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=2' }),
    );

    const echo = echoed(result.responseBody);
    expect(echo.body).toBe('a=1&b=2');
    expect(echo.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('sends no body when the body is null or undefined', async () => {
    const fromNull = echoed((await executor.execute(call('/echo', { method: 'POST', body: null }))).responseBody);
    const fromUndefined = echoed((await executor.execute(call('/echo', { method: 'DELETE' }))).responseBody);

    expect(fromNull.body).toBe('');
    expect(fromNull.headers['content-type']).toBeUndefined();
    expect(fromUndefined.body).toBe('');
  });

  it('sends the default User-Agent when the request sets none', async () => {
    const echo = echoed((await executor.execute(call('/echo'))).responseBody);

    expect(echo.headers['user-agent']).toBe('punctual/test');
  });

  it("keeps the caller's User-Agent whatever the case of its name", async () => {
    const echo = echoed((await executor.execute(call('/echo', { headers: { 'USER-agent': 'their-bot/2' } }))).responseBody);

    expect(echo.headers['user-agent']).toBe('their-bot/2');
  });

  it('sends the caller headers as given', async () => {
    const echo = echoed(
      (await executor.execute(call('/echo', { headers: { Authorization: 'Bearer t0k3n', 'Punctual-Run-Id': 'run_1' } }))).responseBody,
    );

    expect(echo.headers.authorization).toBe('Bearer t0k3n');
    expect(echo.headers['punctual-run-id']).toBe('run_1');
  });

  it('sends no body with HEAD, even when the request has one', async () => {
    const before = target.hitsFor('/echo-head').length;
    const result = await executor.execute(call('/echo-head', { method: 'HEAD', body: { ignored: true } }));

    expect(result).toMatchObject({ outcome: 'succeeded', statusCode: 200, responseBody: '', responseTruncated: false });
    const hits = target.hitsFor('/echo-head');
    expect(hits).toHaveLength(before + 1);
    const hit = hits.at(-1);
    expect(hit?.method).toBe('HEAD');
    expect(hit?.body).toBe('');
    expect(hit?.headers['content-type']).toBeUndefined();
    expect(hit?.headers['content-length'] ?? '0').toBe('0');
  });
});

describe('a non-2xx response', () => {
  it('fails with "HTTP 503" and keeps the status and body', async () => {
    const result = await executor.execute(call('/status/503'));

    expect(result).toMatchObject({
      outcome: 'failed',
      statusCode: 503,
      error: 'HTTP 503',
      responseBody: 'status 503',
      retryAfterMs: null,
    });
  });

  it('does not follow a redirect: fails with "HTTP 302" and records its location', async () => {
    const okHitsBefore = target.hitsFor('/ok').length;
    const result = await executor.execute(call('/status/302'));

    expect(result).toMatchObject({ outcome: 'failed', statusCode: 302, error: 'HTTP 302' });
    expect(result.responseHeaders.location).toBe('/ok');
    expect(target.hitsFor('/ok')).toHaveLength(okHitsBefore);
  });

  const retryAfterCases: { name: string; path: string; expected: 'seconds' | 'date' | null }[] = [
    { name: '429 with delta-seconds', path: '/retry-after/429/120', expected: 'seconds' },
    { name: '503 with delta-seconds', path: '/retry-after/503/120', expected: 'seconds' },
    { name: '503 with an HTTP-date 30 s ahead', path: '/retry-after/503/DATE', expected: 'date' },
    { name: '500 with delta-seconds (ignored)', path: '/retry-after/500/120', expected: null },
    { name: '200 with delta-seconds (ignored)', path: '/retry-after/200/120', expected: null },
    { name: '429 with garbage', path: '/retry-after/429/soon', expected: null },
  ];

  for (const { name, path, expected } of retryAfterCases) {
    it(`reads Retry-After on ${name} as ${expected === null ? 'null' : `ms from now (${expected})`}`, async () => {
      const date = new Date(Date.now() + 30_000).toUTCString();
      const result = await executor.execute(call(path.replace('DATE', encodeURIComponent(date))));

      if (expected === 'seconds') expect(result.retryAfterMs).toBe(120_000);
      else if (expected === 'date') {
        // toUTCString drops milliseconds, and the call itself takes a little time.
        expect(result.retryAfterMs).toBeGreaterThan(25_000);
        expect(result.retryAfterMs).toBeLessThanOrEqual(30_000);
      } else expect(result.retryAfterMs).toBeNull();
    });
  }
});

describe('the deadline', () => {
  it('fails the attempt with "timeout after 200 ms" when the target never answers', async () => {
    const result = await executor.execute(call('/delay/10000', { timeoutMs: 200 }));

    expect(result).toMatchObject({
      outcome: 'failed',
      statusCode: null,
      error: 'timeout after 200 ms',
      responseHeaders: {},
      responseBody: null,
      responseTruncated: false,
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(195);
    expect(result.durationMs).toBeLessThan(1_500);
  });

  it('cuts a body that trickles in at the deadline, keeping what arrived', async () => {
    const result = await executor.execute(call('/trickle/10000', { timeoutMs: 400 }));

    expect(result).toMatchObject({ outcome: 'failed', statusCode: 200, error: 'timeout after 400 ms' });
    expect(result.responseBody).toMatch(/^\.+$/);
    expect(result.durationMs).toBeGreaterThanOrEqual(395);
    expect(result.durationMs).toBeLessThan(1_500);
  });

  it('succeeds when a trickling body ends before the deadline', async () => {
    const result = await executor.execute(call('/trickle/200', { timeoutMs: 2_000 }));

    expect(result).toMatchObject({ outcome: 'succeeded', statusCode: 200, error: null });
    expect(result.responseBody).toMatch(/^\.*$/);
  });
});

describe('response body capture', () => {
  it('truncates a body longer than the limit and marks it truncated', async () => {
    const result = await executor.execute(call('/big/100000'));

    expect(result).toMatchObject({ outcome: 'succeeded', statusCode: 200, responseTruncated: true });
    expect(result.responseBody).toBe('x'.repeat(LIMIT));
  });

  it('keeps a body exactly as long as the limit whole, not truncated', async () => {
    const result = await executor.execute(call(`/big/${LIMIT}`));

    expect(result.responseBody).toHaveLength(LIMIT);
    expect(result.responseTruncated).toBe(false);
  });

  it('stops reading a 50 MB body after the limit instead of downloading it', async () => {
    const result = await executor.execute(call(`/big/${50 * 1024 * 1024}`, { timeoutMs: 10_000 }));

    expect(result).toMatchObject({ outcome: 'succeeded', responseTruncated: true });
    expect(result.responseBody).toHaveLength(LIMIT);
    // Reading 50 MB over loopback takes far longer than one chunk; a generous bound still tells them apart.
    expect(result.durationMs).toBeLessThan(3_000);
  });

  it('drops an incomplete multi-byte character at the cut instead of showing U+FFFD', async () => {
    const { server, url } = await listen((_req, res) => {
      res.end('é'.repeat(LIMIT)); // 2 bytes each: a 5-byte limit ends inside the third
    });
    const small = createExecutor({ responseBodyLimitBytes: 5, userAgent: 'punctual/test', allowPrivateTargets: true });
    try {
      const result = await small.execute({ url, method: 'GET', headers: {}, timeoutMs: 2_000 });

      expect(result.responseBody).toBe('éé');
      expect(result.responseTruncated).toBe(true);
    } finally {
      await small.close();
      await shut(server);
    }
  });

  it('keeps nothing with a limit of 0, marking a non-empty body truncated', async () => {
    const none = createExecutor({ responseBodyLimitBytes: 0, userAgent: 'punctual/test', allowPrivateTargets: true });
    try {
      const withBody = await none.execute(call('/ok'));
      const chunked = await none.execute(call('/trickle/100'));
      const head = await none.execute(call('/ok', { method: 'HEAD' }));

      expect(withBody).toMatchObject({ outcome: 'succeeded', responseBody: '', responseTruncated: true });
      expect(chunked).toMatchObject({ outcome: 'succeeded', responseBody: '', responseTruncated: true });
      expect(head).toMatchObject({ outcome: 'succeeded', responseBody: '', responseTruncated: false });
    } finally {
      await none.close();
    }
  });

  it('replaces NUL in the body with U+FFFD so Postgres can store it', async () => {
    const result = await executor.execute(call('/nul'));

    expect(result.responseBody).toBe('before\uFFFDafter');
  });
});

describe('failures without a response', () => {
  it('fails with "connect ECONNREFUSED" when nothing listens on the port', async () => {
    const { server, url } = await listen((_req, res) => res.end());
    await shut(server);

    const result = await executor.execute({ url: `${url}/ok`, method: 'GET', headers: {}, timeoutMs: 2_000 });

    expect(result).toMatchObject({
      outcome: 'failed',
      statusCode: null,
      error: `connect ECONNREFUSED ${url.replace('http://', '')}`,
      responseHeaders: {},
      responseBody: null,
    });
  });

  it('fails on a name that does not resolve, within the deadline', async () => {
    const result = await executor.execute({ url: 'http://nonexistent.invalid/', method: 'GET', headers: {}, timeoutMs: 2_000 });

    expect(result.outcome).toBe('failed');
    expect(result.statusCode).toBeNull();
    expect(result.error).toMatch(/nonexistent\.invalid|ENOTFOUND|EAI_AGAIN/);
    expect(result.durationMs).toBeLessThan(3_000);
  });

  it('fails with a short error when the target resets the connection', async () => {
    const { server, url } = await listen((req) => req.socket.destroy());
    try {
      const result = await executor.execute({ url, method: 'POST', headers: {}, body: 'x', timeoutMs: 2_000 });

      expect(result).toMatchObject({ outcome: 'failed', statusCode: null, error: 'UND_ERR_SOCKET other side closed' });
    } finally {
      await shut(server);
    }
  });

  it('fails with a single-line TLS error when https meets a plain HTTP server', async () => {
    const result = await executor.execute(call('/ok', { url: `${target.url.replace('http:', 'https:')}/ok` }));

    expect(result.outcome).toBe('failed');
    expect(result.statusCode).toBeNull();
    expect(result.error).toMatch(/^ERR_SSL_\S+ \S/);
    expect(result.error).not.toMatch(/[\r\n]/);
    expect(result.error?.length).toBeLessThanOrEqual(300);
  });

  const invalidUrls = [
    { url: 'not a url', error: 'ERR_INVALID_URL Invalid URL' },
    { url: '/relative/path', error: 'ERR_INVALID_URL Invalid URL' },
    { url: 'ftp://example.com/file', error: 'ERR_INVALID_URL unsupported protocol "ftp:"' },
  ];
  for (const { url, error } of invalidUrls) {
    it(`fails with "${error}" for ${JSON.stringify(url)}`, async () => {
      const result = await executor.execute({ url, method: 'GET', headers: {}, timeoutMs: 2_000 });

      expect(result).toMatchObject({ outcome: 'failed', statusCode: null, error });
    });
  }

  it('fails instead of throwing when a header value is invalid', async () => {
    const result = await executor.execute(call('/ok', { headers: { 'x-bad': 'line\nbreak' } }));

    expect(result).toMatchObject({ outcome: 'failed', statusCode: null, error: 'UND_ERR_INVALID_ARG invalid x-bad header' });
  });

  it('fails instead of throwing when the body cannot be serialised', async () => {
    const result = await executor.execute(call('/echo', { method: 'POST', body: 10n }));

    expect(result.outcome).toBe('failed');
    expect(result.error).toMatch(/BigInt/);
  });

  it('fails instead of throwing when timeoutMs is not a usable number', async () => {
    const result = await executor.execute(call('/ok', { timeoutMs: 0 }));

    expect(result.outcome).toBe('failed');
    expect(result.error).toMatch(/^ERR_INVALID_ARG timeoutMs/);
  });

  it('fails instead of throwing after close()', async () => {
    const closed = createExecutor({ responseBodyLimitBytes: LIMIT, userAgent: 'punctual/test', allowPrivateTargets: true });
    await closed.close();

    const result = await closed.execute(call('/ok'));

    expect(result.outcome).toBe('failed');
    expect(result.error).toMatch(/^UND_ERR_/);
  });
});
