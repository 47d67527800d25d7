import { createLogger } from '@punctual/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { RequestLogController } from '../src/plugins/request-log.js';

/** A Fastify app logging through Punctual's logger factory into `lines`, with or without the request-line controller. */
async function appLoggingTo(lines: string[], controller: 'punctual' | 'fastify') {
  const logger = createLogger({ name: 'punctual-api', level: 'info', format: 'json' }, { write: (line: string) => void lines.push(line) });
  const logController = controller === 'punctual' ? new RequestLogController() : undefined;
  const app = Fastify({ loggerInstance: logger, ...(logController ? { logController } : {}) });
  logController?.attach(app.log);
  app.post('/things', async (request, reply) => {
    request.log.info({ authorization: 'Bearer handler-secret', target: { token: 'nested-secret' } }, 'handler line');
    return reply.status(201).send({ ok: true });
  });
  app.get('/quiet', { logLevel: 'warn' }, async () => ({ ok: true }));
  await app.ready();
  return app;
}

/** The lines with what differs between two runs (time, responseTime, the ephemeral port) replaced by placeholders. */
function normalized(lines: string[]): string[] {
  return lines.map((line) =>
    line
      .replace(/"time":\d+/, '"time":0')
      .replace(/"responseTime":[\d.e-]+/, '"responseTime":0')
      .replace(/"pid":\d+/, '"pid":0'),
  );
}

async function exercise(app: Pick<FastifyInstance, 'inject'>): Promise<void> {
  const created = await app.inject({
    method: 'POST',
    url: '/things?token=in-the-url',
    headers: { authorization: 'Bearer header-secret', cookie: 'session=cookie-secret', 'accept-version': '1' },
    payload: { token: 'body-secret' },
  });
  expect(created.statusCode).toBe(201);
  expect((await app.inject({ method: 'GET', url: '/quiet' })).statusCode).toBe(200);
  expect((await app.inject({ method: 'GET', url: '/nowhere' })).statusCode).toBe(404);
}

describe('request log lines', () => {
  it("are Fastify's own lines, word for word, though they skip the redactor", async () => {
    const ours: string[] = [];
    const theirs: string[] = [];
    for (const [lines, controller] of [
      [ours, 'punctual'],
      [theirs, 'fastify'],
    ] as const) {
      const app = await appLoggingTo(lines, controller);
      await exercise(app);
      await app.close();
    }

    expect(normalized(ours)).toEqual(normalized(theirs));
    const messages = ours.map((line) => (JSON.parse(line) as { msg: string }).msg);
    // The route at logLevel warn logs no request lines; the 404 does.
    expect(messages.filter((msg) => msg === 'incoming request')).toHaveLength(2);
    expect(messages.filter((msg) => msg === 'request completed')).toHaveLength(2);
    expect(JSON.parse(ours[0]!)).toMatchObject({ reqId: 'req-1', req: { method: 'POST', url: '/things?token=in-the-url', version: '1' } });
  });

  it("still redacts every other line, a handler's request.log line included", async () => {
    const lines: string[] = [];
    const app = await appLoggingTo(lines, 'punctual');
    await exercise(app);
    await app.close();

    const handlerLine = JSON.parse(lines.find((line) => line.includes('"handler line"'))!) as Record<string, unknown>;
    expect(handlerLine).toMatchObject({ reqId: 'req-1', authorization: '[redacted]', target: { token: '[redacted]' } });
    const output = lines.join('\n');
    for (const secret of ['handler-secret', 'nested-secret', 'header-secret', 'cookie-secret', 'body-secret']) {
      expect(output.includes(secret), secret).toBe(false);
    }
  });
});
