import autocannon from 'autocannon';

/** A month: far enough that a task due then never runs during a bench. */
export const FAR_FUTURE_MS = 30 * 24 * 3_600_000;

/** What one autocannon run measured. Latencies in milliseconds. */
export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers other than 2xx, by status code. */
  non2xx: number;
  statusCodes: Record<string, number>;
  /** Connection errors and timeouts. */
  errors: number;
}

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  seconds: number;
  /** A path per request (e.g. a random task's), instead of the one in `url`. */
  path?: () => string;
  /** Requests per second over all connections (autocannon's `overallRate`); unset: as fast as answers come. */
  overallRate?: number;
}

/** Runs autocannon in this process for `seconds` and summarises the result. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const pathOf = options.path;
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    headers: options.headers,
    ...(options.body === undefined ? {} : { body: options.body }),
    connections: options.connections,
    duration: options.seconds,
    timeout: 10,
    ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
    ...(pathOf ? { requests: [{ setupRequest: (request) => ({ ...request, path: pathOf() }) }] } : {}),
  });
  return {
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    non2xx: result.non2xx,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
    errors: result.errors + result.timeouts,
  };
}

/** A task due a month from now (never within a run), calling `url`: what the create loads post. */
export function farFutureTask(name: string, url: string): Record<string, unknown> {
  return { name, url, method: 'POST', body: { hello: 'world' }, scheduledAt: new Date(Date.now() + FAR_FUTURE_MS).toISOString() };
}

/** `POST /api/v1/tasks` under load as `headers`' account, each request creating `task` (see `farFutureTask`). */
export function runCreateLoad(
  apiUrl: string,
  headers: Record<string, string>,
  task: Record<string, unknown>,
  load: { connections: number; seconds: number; overallRate?: number },
): Promise<LoadResult> {
  return runLoad({ url: `${apiUrl}/api/v1/tasks`, method: 'POST', headers, body: JSON.stringify(task), ...load });
}
