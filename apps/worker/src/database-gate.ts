import type { Logger } from 'pino';

export interface DatabaseGate {
  /** Postgres stopped answering: pause taking jobs (once) and probe until it answers, then resume. */
  close(): void;
  /** Stops probing (at shutdown). */
  stop(): void;
}

/**
 * Pauses a worker while Postgres is away, so it stops claiming jobs it cannot record, and resumes it when a probe
 * answers again. Jobs that failed meanwhile are retried by BullMQ, or put back by the reconciler.
 */
export function createDatabaseGate(options: {
  pause(): Promise<void>;
  resume(): Promise<void>;
  probe(): Promise<unknown>;
  probeIntervalMs: number;
  logger: Logger;
}): DatabaseGate {
  let closed = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const probe = async (): Promise<void> => {
    if (stopped) return;
    try {
      await options.probe();
      // A failed resume is retried by the next probe, like a failed probe.
      await options.resume();
      closed = false;
      options.logger.info('Postgres answers again: taking jobs');
    } catch {
      timer = setTimeout(() => void probe(), options.probeIntervalMs);
    }
  };

  return {
    close() {
      if (closed || stopped) return;
      closed = true;
      options.logger.warn('Postgres is not answering: pausing until it is back');
      void options.pause().finally(() => {
        timer = setTimeout(() => void probe(), options.probeIntervalMs);
      });
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
