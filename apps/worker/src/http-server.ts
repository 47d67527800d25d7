import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PUNCTUAL_VERSION } from '@punctual/config';
import type { DependencyCheck } from '@punctual/core';
import type { Registry } from '@punctual/metrics';

export type HealthCheck = () => Promise<Record<string, DependencyCheck>>;

/**
 * The worker's own small HTTP server: `/health/live` while the process runs, `/health` with its dependency checks,
 * `/health/ready` (200 while every check is up, else 503 `unready`), `/metrics` in the Prometheus text format.
 */
export async function startWorkerHttpServer(options: {
  host: string;
  port: number;
  check: HealthCheck;
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
    // Ready while every dependency answers: without Postgres no attempt can be claimed or recorded, without the queue
    // no job arrives. Each check gives up after its deadline, so this answers even while one hangs.
    if (path === '/health/ready') {
      options.check().then(
        (checks) => {
          const ready = Object.values(checks).every((check) => check.status === 'up');
          send(ready ? 200 : 503, { status: ready ? 'ok' : 'unready', checks });
        },
        (error: unknown) => send(503, { status: 'unready', error: String(error) }),
      );
      return;
    }
    if (path === '/health') {
      options.check().then(
        (checks) => {
          const healthy = Object.values(checks).every((check) => check.status === 'up');
          send(healthy ? 200 : 503, {
            status: healthy ? 'ok' : 'degraded',
            checks,
            uptimeSeconds: Math.floor(process.uptime()),
            version: PUNCTUAL_VERSION,
          });
        },
        (error: unknown) => send(503, { status: 'degraded', error: String(error) }),
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
