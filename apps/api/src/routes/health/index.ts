import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PUNCTUAL_VERSION } from '@punctual/config';
import { StringEnum } from '@punctual/contract';
import { pingDatabase } from '@punctual/db';
import { Type } from 'typebox';

const Check = Type.Object({
  status: StringEnum(['up', 'down']),
  latencyMs: Type.Integer(),
  error: Type.Optional(Type.String()),
});

const Health = Type.Object({
  status: StringEnum(['ok', 'degraded']),
  checks: Type.Object({ postgres: Check, redis: Check }),
  uptimeSeconds: Type.Integer(),
  version: Type.String(),
});

const CHECK_TIMEOUT_MS = 2_000;

/** Runs one dependency check with a deadline, so a hung dependency makes `/health` say so instead of hanging. */
async function timed(check: () => Promise<unknown>): Promise<{ status: 'up' | 'down'; latencyMs: number; error?: string }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: 'up', latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      status: 'down',
      latencyMs: Math.round(performance.now() - started),
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, redis } = app.punctual;

  app.get(
    '/health',
    {
      schema: {
        tags: ['system'],
        summary: 'Postgres and Redis checks: 200 ok, or 503 degraded when one is down',
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const [postgres, redisCheck] = await Promise.all([timed(() => pingDatabase(db)), timed(() => redis.ping())]);
      const healthy = postgres.status === 'up' && redisCheck.status === 'up';
      return reply.status(healthy ? 200 : 503).send({
        status: healthy ? 'ok' : 'degraded',
        checks: { postgres, redis: redisCheck },
        uptimeSeconds: Math.floor(process.uptime()),
        version: PUNCTUAL_VERSION,
      });
    },
  );

  app.get(
    '/health/live',
    {
      schema: {
        tags: ['system'],
        summary: 'Liveness: 200 while the process runs',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
};
