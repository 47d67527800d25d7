/** One dependency's line in a `/health` answer. */
export interface DependencyCheck {
  status: 'up' | 'down';
  latencyMs: number;
  /** Why it is down: the check's error, or that it did not answer in time. */
  error?: string;
}

/**
 * Runs one dependency check (a Postgres or Redis round trip) with a deadline, so a hung dependency makes `/health`
 * say `down` instead of hanging the health request. The check itself is not cancelled; its late result is ignored.
 */
export async function checkDependency(check: () => Promise<unknown>, timeoutMs: number): Promise<DependencyCheck> {
  const started = performance.now();
  const latencyMs = () => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), deadline]);
    return { status: 'up', latencyMs: latencyMs() };
  } catch (error) {
    return { status: 'down', latencyMs: latencyMs(), error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** The queue's line in a `/health` answer: the check, naming the backend it ran against. */
export interface QueueCheck extends DependencyCheck {
  backend: 'redis' | 'postgres';
}

/**
 * The `/health` lines of the queue's store: `queue` (naming the backend) always, and `redis` too on the Redis backend
 * (the same check, under the name the contract's health answer has always had). The Postgres backend has no Redis.
 */
export function queueChecks(backend: QueueCheck['backend'], check: DependencyCheck): { queue: QueueCheck; redis?: DependencyCheck } {
  return backend === 'redis' ? { queue: { ...check, backend }, redis: check } : { queue: { ...check, backend } };
}

/** A process's dependency checks, each a round trip that throws when its dependency is down. */
export interface DependencyChecks {
  /** Decides readiness: without Postgres no task can be created, claimed or recorded. */
  postgres: () => Promise<unknown>;
  /** The queue backend's own check: its outage only degrades readiness. */
  queue: () => Promise<unknown>;
}

export interface HealthReport {
  checks: { postgres: DependencyCheck; queue: QueueCheck; redis?: DependencyCheck };
  /** `/health`: 200 `ok` while every check is up, else 503 `degraded`. */
  health: { statusCode: 200 | 503; status: 'ok' | 'degraded' };
  /**
   * `/health/ready`: 200 while Postgres answers (`ok`, or `degraded` when the queue does not), 503 `unready` when it
   * does not. A queue outage keeps every pod ready: the API keeps accepting tasks and the reconciler queues them later;
   * a worker picks jobs up again once its queue is back. Taking them all out of service would gain nothing and, with
   * PodDisruptionBudgets, block node drains.
   */
  ready: { statusCode: 200 | 503; status: 'ok' | 'degraded' | 'unready' };
}

/**
 * Runs both checks at once (each with `timeoutMs`) and reads both answers from them: the one rule for `/health` and
 * `/health/ready` on the API and the workers.
 */
export async function healthReport(
  checks: DependencyChecks,
  options: { timeoutMs: number; queueBackend: QueueCheck['backend'] },
): Promise<HealthReport> {
  const [postgres, queue] = await Promise.all([
    checkDependency(checks.postgres, options.timeoutMs),
    checkDependency(checks.queue, options.timeoutMs),
  ]);
  const allUp = postgres.status === 'up' && queue.status === 'up';
  return {
    checks: { postgres, ...queueChecks(options.queueBackend, queue) },
    health: allUp ? { statusCode: 200, status: 'ok' } : { statusCode: 503, status: 'degraded' },
    ready:
      postgres.status === 'down'
        ? { statusCode: 503, status: 'unready' }
        : allUp
          ? { statusCode: 200, status: 'ok' }
          : { statusCode: 200, status: 'degraded' },
  };
}
