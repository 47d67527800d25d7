import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, useTestApp } from './test-app.js';

// A stand-in for `vite build`'s output: the server's part is where it serves what, with which headers.
const root = mkdtempSync(join(tmpdir(), 'punctual-dashboard-'));
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body></body></html>';
mkdirSync(join(root, 'assets'));
writeFileSync(join(root, 'index.html'), INDEX);
writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log("dashboard")');
writeFileSync(join(root, 'assets', 'index-abc123.js.br'), brotliCompressSync('console.log("dashboard")'));

const t = useTestApp({ dashboardRoot: root });
let unbuilt: TestApp;
const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const TASK_ID = '0b6f8f62-8a4c-4d3e-9c1e-3f2a1b0c9d8e';

beforeAll(async () => {
  unbuilt = await createTestApp(t.env, { dashboardRoot: join(root, 'missing') });
});

afterAll(async () => {
  await unbuilt?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the dashboard at /', () => {
  it.each(['/', '/tasks', `/tasks/${TASK_ID}`, '/account', '/sign-in?next=%2Ftasks'])(
    'answers a browser navigation to %s with index.html, never cached, under the strict CSP',
    async (url) => {
      const response = await t.api.app.inject({ method: 'GET', url, headers: html });

      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.headers['content-security-policy']).toContain("script-src 'self'");
      // Over plain HTTP at a LAN address the page's scripts must load as they are, not be upgraded to https://.
      expect(response.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
      expect(response.headers.vary).toBe('accept');
      expect(response.body).toBe(INDEX);
    },
  );

  it("sends the build's brotli copy of an asset to a browser that accepts it", async () => {
    const response = await t.api.app.inject({
      method: 'GET',
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-encoding']).toBe('br');
    expect(response.headers.vary).toMatch(/accept-encoding/i);
    expect(brotliDecompressSync(response.rawPayload).toString()).toBe('console.log("dashboard")');
  });

  it('serves a rebuild made while it runs: the new index.html and the assets it names', async () => {
    const rebuilt = INDEX.replace('index-abc123.js', 'index-def456.js');
    writeFileSync(join(root, 'assets', 'index-def456.js'), 'console.log("rebuilt")');
    writeFileSync(join(root, 'index.html'), rebuilt);
    try {
      const page = await t.api.app.inject({ method: 'GET', url: '/', headers: html });
      const asset = await t.api.app.inject({ method: 'GET', url: '/assets/index-def456.js' });

      expect(page.body).toBe(rebuilt);
      expect(asset.statusCode).toBe(200);
      expect(asset.body).toBe('console.log("rebuilt")');
    } finally {
      writeFileSync(join(root, 'index.html'), INDEX);
    }
  });

  it('serves the hashed assets for a year', async () => {
    const response = await t.api.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/javascript|^application\/javascript/);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.body).toBe('console.log("dashboard")');
  });

  it.each([
    ['an API client asking for JSON', 'GET', `/tasks/${TASK_ID}`, { accept: 'application/json' }],
    ['curl (*/*)', 'GET', '/', { accept: '*/*' }],
    ['a browser, under /api', 'GET', '/api/v1/nothing-here', html],
    ['a browser, under /health', 'GET', '/health/nothing-here', html],
    ['a browser, for a missing asset', 'GET', '/assets/missing.js', html],
    ['a browser posting', 'POST', '/tasks', html],
  ] as const)('gives %s the API 404 in the contract shape', async (_who, method, url, headers) => {
    const response = await t.api.app.inject({ method, url, headers });

    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('tells caches that a page path answers by Accept, and keeps its JSON 404 out of them', async () => {
    const response = await t.api.app.inject({ method: 'GET', url: `/tasks/${TASK_ID}`, headers: { accept: 'application/json' } });

    expect(response.statusCode).toBe(404);
    expect(response.headers.vary).toBe('accept');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('is a 404 when the dashboard was not built', async () => {
    const response = await unbuilt.app.inject({ method: 'GET', url: '/', headers: html });

    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ statusCode: 404 });
  });
});
