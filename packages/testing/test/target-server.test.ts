import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { startTargetServer, type TargetServer } from '../src/target-server.js';

// The executor's tests exercise every route through real calls; these pin what they do not look at.
describe('target server', () => {
  let target: TargetServer;

  beforeAll(async () => {
    target = await startTargetServer();
  });

  afterAll(async () => {
    await target.close();
  });

  it('records each hit with method, path, query and body, routing on the path alone', async () => {
    const response = await fetch(`${target.url}/status/201?attempt=3`, { method: 'POST', body: 'hello' });

    expect(response.status).toBe(201);
    expect(await response.text()).toBe('status 201');
    const hit = target.hitsFor('/status/201').at(-1);
    expect(hit).toMatchObject({ method: 'POST', path: '/status/201', query: 'attempt=3', body: 'hello' });
    expect(hit?.receivedAt).toBeInstanceOf(Date);
  });

  it('fails a flaky key with 503 for its first n requests only, counting each key apart', async () => {
    const statuses: number[] = [];
    for (const key of ['a', 'a', 'b', 'a']) {
      const response = await fetch(`${target.url}/flaky/2/${key}`);
      await response.arrayBuffer();
      statuses.push(response.status);
    }

    expect(statuses).toEqual([503, 503, 503, 200]);
  });

  it('resolves waitForHits once enough hits for the prefix arrive', async () => {
    const waiting = target.waitForHits(2, { pathPrefix: '/wait-here', timeoutMs: 2_000 });
    await (await fetch(`${target.url}/wait-here/1`)).arrayBuffer();
    await (await fetch(`${target.url}/elsewhere`)).arrayBuffer();
    await (await fetch(`${target.url}/wait-here/2`)).arrayBuffer();

    const hits = await waiting;

    expect(hits.map((hit) => hit.path)).toEqual(['/wait-here/1', '/wait-here/2']);
  });

  it('rejects waitForHits with the count and prefix when too few hits arrive in time', async () => {
    await expect(target.waitForHits(1, { pathPrefix: '/never', timeoutMs: 100 })).rejects.toThrow(
      'target server: expected 1 hit(s) under "/never" within 100 ms, got 0',
    );
  });

  it('closes promptly while a delayed response is still pending', async () => {
    const other = await startTargetServer();
    const pending = fetch(`${other.url}/delay/30000`).catch((error: unknown) => error);
    await other.waitForHits(1, { timeoutMs: 2_000 });

    const startedAt = Date.now();
    await other.close();

    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(await pending).toBeInstanceOf(Error);
  });
});
