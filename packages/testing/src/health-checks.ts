import { expect } from 'vitest';

/** The `checks` of a health report (API or worker) with Postgres and the Redis queue answering; latencies vary. */
export const CHECKS_UP_ON_REDIS = {
  postgres: { status: 'up', latencyMs: expect.any(Number) as number },
  queue: { status: 'up', latencyMs: expect.any(Number) as number, backend: 'redis' },
  redis: { status: 'up', latencyMs: expect.any(Number) as number },
};
