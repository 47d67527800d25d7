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

/**
 * A process's named dependency checks, each a round trip that throws when the dependency is down. `postgres` decides
 * readiness; any other (the queue backend) only degrades it.
 */
export type DependencyChecks<Name extends string = string> = Record<Name | 'postgres', () => Promise<unknown>>;

export interface HealthReport<Name extends string = string> {
  checks: Record<Name | 'postgres', DependencyCheck>;
  /** `/health`: 200 `ok` while every check is up, else 503 `degraded`. */
  health: { statusCode: 200 | 503; status: 'ok' | 'degraded' };
  /**
   * `/health/ready`: 200 while Postgres answers (`ok`, or `degraded` when another check is down), 503 `unready` when it
   * does not. A queue outage keeps every pod ready: the API keeps accepting tasks and the reconciler queues them later;
   * a worker picks jobs up again once its queue is back. Taking them all out of service would gain nothing and, with
   * PodDisruptionBudgets, block node drains.
   */
  ready: { statusCode: 200 | 503; status: 'ok' | 'degraded' | 'unready' };
}

/**
 * Runs every check at once (each with `timeoutMs`) and reads both answers from them: the one rule for `/health` and
 * `/health/ready` on the API and the workers.
 */
export async function healthReport<Name extends string>(checks: DependencyChecks<Name>, timeoutMs: number): Promise<HealthReport<Name>> {
  const names = Object.keys(checks) as Array<Name | 'postgres'>;
  const results = await Promise.all(names.map((name) => checkDependency(checks[name], timeoutMs)));
  const report = Object.fromEntries(names.map((name, index) => [name, results[index]!])) as Record<Name | 'postgres', DependencyCheck>;
  const allUp = results.every((check) => check.status === 'up');
  const postgresUp = report.postgres.status === 'up';
  return {
    checks: report,
    health: allUp ? { statusCode: 200, status: 'ok' } : { statusCode: 503, status: 'degraded' },
    ready: !postgresUp
      ? { statusCode: 503, status: 'unready' }
      : allUp
        ? { statusCode: 200, status: 'ok' }
        : { statusCode: 200, status: 'degraded' },
  };
}
