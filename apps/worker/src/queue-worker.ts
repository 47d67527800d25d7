import { isConnectionError, type QueueBackendName, type TasksWorker } from '@punctual/queue';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';

/** Once attempts are done, how long more BullMQ may take to close (mark the last jobs, end its connections). */
const CLOSE_WAIT_MS = 3_000;

const STORE_NAMES: Record<QueueBackendName, string> = { redis: 'Redis', postgres: 'Postgres' };

/** The attempts a processor has in flight, known without asking the queue's store. */
export interface AttemptTracker {
  /** The processor to give the worker: the same one, counted while it runs. */
  readonly processor: (job: Job, token?: string) => Promise<void>;
  /** How many attempts are in flight now. */
  readonly size: number;
  /** Settles once the attempts in flight now have settled. */
  idle(): Promise<void>;
}

export function trackAttempts(processor: (job: Job, token?: string) => Promise<void>): AttemptTracker {
  const inFlight = new Set<Promise<void>>();
  return {
    processor: (job, token) => {
      const attempt = processor(job, token);
      inFlight.add(attempt);
      const forget = (): void => {
        inFlight.delete(attempt);
      };
      attempt.then(forget, forget);
      return attempt;
    },
    get size() {
      return inFlight.size;
    },
    idle: () => Promise.allSettled([...inFlight]).then(() => {}),
  };
}

/**
 * Logs the workers' errors (the attempts' and the deliveries', which share the store). The store being away is one
 * warning per outage for the process (each connection retries on its own, and every retry would otherwise log), and
 * one info line when it answers again; any other error is an error.
 */
export function logWorkerErrors(workers: readonly TasksWorker[], backend: QueueBackendName, logger: Logger): void {
  const store = STORE_NAMES[backend];
  let away = false;
  const answered = (): void => {
    if (!away) return;
    away = false;
    logger.info(`${store} answers again; the worker takes jobs`);
  };
  for (const worker of workers) {
    worker.on('error', (err) => {
      if (!isConnectionError(err)) {
        logger.error({ err }, 'worker error');
        return;
      }
      if (away) return;
      away = true;
      logger.warn({ err }, `${store} does not answer; the worker waits for it (in-flight attempts are still recorded)`);
    });
    worker.on('ready', answered);
    worker.on('completed', answered);
  }
}

/**
 * Closes the worker: it takes no new job, its attempts in flight finish and are recorded (in Postgres), and BullMQ
 * marks their jobs done. When the store does not answer, BullMQ's close never settles (it waits for its blocking
 * connection to end, which a client that is reconnecting never reports); then, once no attempt is in flight and
 * CLOSE_WAIT_MS have passed, the worker is left unclosed: its jobs are recovered as any unfinished job is.
 */
export async function closeWorker(worker: TasksWorker, attempts: AttemptTracker, backend: QueueBackendName, logger: Logger): Promise<void> {
  // Normal (not forced) close, so with the store up BullMQ still marks the last jobs completed.
  const closed = worker.close().then(
    () => true,
    (err: unknown) => {
      logger.warn({ err }, 'closing the worker failed');
      return true;
    },
  );
  for (;;) {
    await attempts.idle();
    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([closed, new Promise<false>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS, false)))]);
    clearTimeout(timer);
    if (settled) return;
    // An attempt that started meanwhile is waited for like the others.
    if (attempts.size > 0) continue;
    logger.warn(`${STORE_NAMES[backend]} does not answer: stopping without closing the queue cleanly`);
    return;
  }
}
