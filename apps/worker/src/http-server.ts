import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PUNCTUAL_VERSION } from '@punctual/config';
import { healthReport, type DependencyChecks, type QueueCheck } from '@punctual/core';
import type { Registry } from '@punctual/metrics';

/**
 * The worker's own small HTTP server: `/health/live` while the process runs, `/health` and `/health/ready` by the
 * API's rule (`healthReport`: ready while Postgres answers, `degraded` while the queue does not), `/metrics` in the
 * Prometheus text format.
 */
export async function startWorkerHttpServer(options: {
  host: string;
  port: number;
  /** Round trips to Postgres and the queue's store; each gives up after `checkTimeoutMs`. */
  checks: DependencyChecks;
  checkTimeoutMs: number;
  /** QUEUE_BACKEND, named in the queue's check line. */
  queueBackend: QueueCheck['backend'];
  metrics?: Registry;
}): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (request.method !== 'GET') return send(405, { statusCode: 405, error: 'Method Not Allowed', message: 'only GET' });
    if (path === '/health/live') return send(200, { status: 'ok' });
    if (path === '/metrics' && options.metrics) {
      const { contentType } = options.metrics;
      options.metrics.metrics().then(
        (text) => response.writeHead(200, { 'content-type': contentType }).end(text),
        (error: unknown) => send(500, { statusCode: 500, error: 'Internal Server Error', message: String(error) }),
      );
      return;
    }
    // Each check gives up after its deadline, so both answer even while a dependency hangs. A worker stays ready while
    // its queue is away (it takes jobs again once it is back): a queue outage must not take every pod out of service.
    if (path === '/health' || path === '/health/ready') {
      healthReport(options.checks, { timeoutMs: options.checkTimeoutMs, queueBackend: options.queueBackend }).then(
        ({ checks, health, ready }) =>
          path === '/health/ready'
            ? send(ready.statusCode, { status: ready.status, checks })
            : send(health.statusCode, {
                status: health.status,
                checks,
                uptimeSeconds: Math.floor(process.uptime()),
                version: PUNCTUAL_VERSION,
              }),
        (error: unknown) => send(503, { status: path === '/health/ready' ? 'unready' : 'degraded', error: String(error) }),
      );
      return;
    }
    return send(404, { statusCode: 404, error: 'Not Found', message: `route ${path} not found` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return { server, port: (server.address() as AddressInfo).port };
}
