import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { NODE_FLAGS } from '@punctual/process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BODY_BYTES = 5 * 1024 * 1024;
const LIMIT_BYTES = 64 * 1024;
const CONCURRENCY = 100;
const ROUNDS = 3;
const MiB = 1024 * 1024;

// One 5 MB buffer written by every response, so the target's own memory stays flat; every other response is chunked
// (no Content-Length), so the executor cannot know the size before it reads past the limit.
const body = Buffer.alloc(BODY_BYTES, 'x');
let server: Server;
let url: string;

beforeAll(async () => {
  let count = 0;
  server = createServer((_request, response) => {
    const chunked = ++count % 2 === 0;
    response.writeHead(200, chunked ? { 'content-type': 'text/plain' } : { 'content-type': 'text/plain', 'content-length': BODY_BYTES });
    // A client that hung up mid-body is the expected case here, not an error.
    response.on('error', () => {});
    response.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  const closed = once(server, 'close');
  server.close();
  server.closeAllConnections();
  await closed;
});

interface Run {
  outcomes: Record<string, number>;
  samples: number[];
}

describe('100 concurrent attempts against a target answering 5 MB bodies', () => {
  it('keeps the first RESPONSE_BODY_LIMIT_BYTES of each, the process under 200 MiB and flat once warm', async () => {
    // A process of its own (the compiled executor, with the worker's Node flags), so the RSS measured is the executor's,
    // not the test runner's.
    const fixture = new URL('./fixtures/concurrent-calls.mjs', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, [...NODE_FLAGS, fixture], {
      env: {
        ...process.env,
        TARGET_URL: url,
        CONCURRENCY: String(CONCURRENCY),
        ROUNDS: String(ROUNDS),
        DURATION_MS: '10000',
        LIMIT_BYTES: String(LIMIT_BYTES),
      },
      maxBuffer: 10 * MiB,
      timeout: 60_000,
    });
    const run = JSON.parse(stdout) as Run;

    // Every call succeeded, kept exactly the limit and was marked truncated; and there were many rounds of 100.
    const kinds = Object.keys(run.outcomes);
    expect(kinds, JSON.stringify(run.outcomes)).toEqual([`succeeded 200 truncated=true kept=${LIMIT_BYTES}`]);
    expect(run.outcomes[kinds[0]!]).toBeGreaterThanOrEqual(ROUNDS * CONCURRENCY);
    // Buffering the bodies would take 100 × 5 MB = 500 MB. Keeping the limit, measured: 110-170 MiB, the calls' transient
    // chunks, strings and GC lag on top of Node's and undici's ~70.
    const peak = Math.max(...run.samples);
    const inMiB = run.samples.map((rss) => Math.round(rss / MiB)).join(' ');
    expect(peak / MiB, inMiB).toBeLessThan(200);
    // Flat once warm (the first third is V8 growing its heap to its working size): the last third stays near the middle.
    const third = Math.floor(run.samples.length / 3);
    const middle = Math.max(...run.samples.slice(third, 2 * third));
    const late = Math.max(...run.samples.slice(2 * third));
    expect((late - middle) / MiB, inMiB).toBeLessThan(40);
  }, 90_000);
});
