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
