import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { listenOnLoopback } from './loopback.js';

/** One request the target received, recorded once its body has been read. */
export interface TargetHit {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  receivedAt: Date;
  /** When the response ended (sent in full, or the connection closed); null while it is in flight. */
  finishedAt: Date | null;
}

/** A real local HTTP target whose behaviour is chosen by the URL path (see `startTargetServer`). */
export interface TargetServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  /** Every request received, in order. */
  hits: TargetHit[];
  /** The hits whose path starts with `pathPrefix`. */
  hitsFor(pathPrefix: string): TargetHit[];
  /** Resolves once at least `count` hits (for `pathPrefix`, if given) have arrived; rejects after `timeoutMs` (default 10000). */
  waitForHits(count: number, options?: { pathPrefix?: string; timeoutMs?: number }): Promise<TargetHit[]>;
  /** Stops listening and destroys open connections, so tests never wait on a keep-alive socket. */
  close(): Promise<void>;
}

interface HitWaiter {
  count: number;
  pathPrefix: string;
  resolve: (hits: TargetHit[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const TRICKLE_INTERVAL_MS = 50;
const BIG_CHUNK = Buffer.alloc(64 * 1024, 'x');

/**
 * Starts a target on 127.0.0.1, port 0. Routing is by path only (any method, query ignored), because an
 * end-to-end test can only hand a task a URL:
 * - `/ok` and any unknown path: 200 `{"ok":true}`
 * - `/status/:code`: that status, body `status <code>`; 3xx also sends `location: /ok`
 * - `/delay/:ms`: waits, then 200
 * - `/trickle/:ms`: 200 headers at once, then one byte every 50 ms for `ms` milliseconds
 * - `/big/:bytes`: 200 with a body of that many bytes, written in chunks
 * - `/retry-after/:code/:value`: that status with `Retry-After: <value>` (URL-decoded)
 * - `/flaky/:n/:key`: 503 for the first `n` requests of `key`, then 200
 * - `/echo`: 200 `{ method, headers, body }` of the request
 * - `/nul`: 200 text containing a NUL byte
 */
export async function startTargetServer(): Promise<TargetServer> {
  const hits: TargetHit[] = [];
  const waiters = new Set<HitWaiter>();
  const flakyCounts = new Map<string, number>();

  const hitsFor = (pathPrefix: string): TargetHit[] => hits.filter((hit) => hit.path.startsWith(pathPrefix));

  const settleWaiters = (): void => {
    for (const waiter of waiters) {
      const matching = hitsFor(waiter.pathPrefix);
      if (matching.length >= waiter.count) {
        waiters.delete(waiter);
        clearTimeout(waiter.timer);
        waiter.resolve(matching);
      }
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const [path = '/', query = ''] = splitTarget(req.url ?? '/');
      const hit: TargetHit = {
        method: req.method ?? 'GET',
        path,
        query,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: new Date(),
        finishedAt: null,
      };
      res.on('close', () => {
        hit.finishedAt = new Date();
      });
      hits.push(hit);
      settleWaiters();
      respond(hit, req, res, flakyCounts);
    });
  });

  const port = await listenOnLoopback(server);

  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    hitsFor,
    waitForHits(count, options = {}) {
      const pathPrefix = options.pathPrefix ?? '';
      const timeoutMs = options.timeoutMs ?? 10_000;
      const matching = hitsFor(pathPrefix);
      if (matching.length >= count) return Promise.resolve(matching);
      return new Promise<TargetHit[]>((resolve, reject) => {
        const waiter: HitWaiter = {
          count,
          pathPrefix,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            const seen = hitsFor(pathPrefix).map((hit) => `${hit.method} ${hit.path}`);
            reject(
              new Error(
                `target server: expected ${count} hit(s)${pathPrefix ? ` under "${pathPrefix}"` : ''} within ${timeoutMs} ms, ` +
                  `got ${seen.length}${seen.length > 0 ? ` (${seen.join(', ')})` : ''}`,
              ),
            );
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    async close() {
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error('target server closed while waiting for hits'));
      }
      waiters.clear();
      const closed = once(server, 'close');
      server.close();
      // Keep-alive sockets (and /delay, /trickle responses in flight) would otherwise hold close() open.
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * The most of `hits` that were in flight at once, from receipt to the end of the response (one still in flight counts
 * until now): what a target sees of concurrency.
 */
export function peakConcurrency(hits: readonly TargetHit[]): number {
  const edges = hits.flatMap((hit) => [
    { at: hit.receivedAt.getTime(), step: 1 },
    { at: (hit.finishedAt ?? new Date()).getTime(), step: -1 },
  ]);
  // An end and a start at the same millisecond do not overlap: ends first.
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let current = 0;
  let peak = 0;
  for (const edge of edges) {
    current += edge.step;
    peak = Math.max(peak, current);
  }
  return peak;
}

/** The most of `hits` received within any `windowMs` (a sliding window): what a target sees of a rate. */
export function peakStartsWithin(hits: readonly TargetHit[], windowMs: number): number {
  const starts = hits.map((hit) => hit.receivedAt.getTime()).sort((a, b) => a - b);
  let peak = 0;
  let first = 0;
  for (let last = 0; last < starts.length; last += 1) {
    while (starts[last]! - starts[first]! >= windowMs) first += 1;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}

function splitTarget(target: string): [string, string] {
  const index = target.indexOf('?');
  return index === -1 ? [target, ''] : [target.slice(0, index), target.slice(index + 1)];
}

function respond(hit: TargetHit, req: IncomingMessage, res: ServerResponse, flakyCounts: Map<string, number>): void {
  const segments = hit.path.split('/').filter((segment) => segment !== '');
  const [route, first, second] = segments;

  switch (route) {
    case 'status': {
      const code = parseStatus(first);
      if (code === null) return sendJson(res, 400, { error: `bad status ${String(first)}` });
      res.writeHead(code, {
        'content-type': 'text/plain; charset=utf-8',
        ...(code >= 300 && code < 400 ? { location: '/ok' } : {}),
      });
      res.end(`status ${code}`);
      return;
    }
    case 'delay': {
      const timer = setTimeout(() => sendJson(res, 200, { ok: true }), parseCount(first));
      res.on('close', () => clearTimeout(timer));
      return;
    }
    case 'trickle': {
      const endAt = Date.now() + parseCount(first);
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.flushHeaders();
      const interval = setInterval(() => {
        if (Date.now() >= endAt) {
          clearInterval(interval);
          res.end();
        } else {
          res.write('.');
        }
      }, TRICKLE_INTERVAL_MS);
      res.on('close', () => clearInterval(interval));
      return;
    }
    case 'big': {
      const bytes = parseCount(first);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes) });
      writeBig(res, bytes);
      return;
    }
    case 'retry-after': {
      const code = parseStatus(first);
      if (code === null) return sendJson(res, 400, { error: `bad status ${String(first)}` });
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': decodeSegment(second ?? '') });
      res.end(`status ${code}`);
      return;
    }
    case 'flaky': {
      const failures = parseCount(first);
      const key = second ?? '';
      const seen = (flakyCounts.get(key) ?? 0) + 1;
      flakyCounts.set(key, seen);
      if (seen <= failures) return sendJson(res, 503, { ok: false, attempt: seen });
      return sendJson(res, 200, { ok: true, attempt: seen });
    }
    case 'echo':
      return sendJson(res, 200, { method: req.method, headers: req.headers, body: hit.body });
    case 'nul':
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('before\u0000after');
      return;
    default:
      return sendJson(res, 200, { ok: true });
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/** Writes `bytes` bytes from one reused chunk, honouring backpressure, and stops if the client goes away. */
function writeBig(res: ServerResponse, bytes: number): void {
  let remaining = bytes;
  const writeMore = (): void => {
    while (remaining > 0 && !res.destroyed) {
      const size = Math.min(remaining, BIG_CHUNK.length);
      remaining -= size;
      if (!res.write(size === BIG_CHUNK.length ? BIG_CHUNK : BIG_CHUNK.subarray(0, size))) {
        res.once('drain', writeMore);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  writeMore();
}

function parseStatus(segment: string | undefined): number | null {
  const code = Number(segment);
  return Number.isInteger(code) && code >= 200 && code <= 599 ? code : null;
}

function parseCount(segment: string | undefined): number {
  const value = Number(segment);
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
