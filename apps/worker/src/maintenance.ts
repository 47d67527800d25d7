import {
  applyRetention,
  IDEMPOTENCY_KEY_TTL_MS,
  recoverLostAttempts,
  repairDeliveries,
  repairQueue,
  type ReconcilerContext,
} from '@punctual/core';
import type { ScheduleCursor } from '@punctual/db';
import type { MaintenanceRecorder } from '@punctual/metrics';
import type { QueueBackend } from '@punctual/queue';
import type { Logger } from 'pino';

export interface MaintenanceOptions {
  context: ReconcilerContext;
  /** Where the leader lock lives (the queue's store: a Redis key, or a Postgres advisory lock). */
  backend: Pick<QueueBackend, 'createLeaderLock'>;
  intervalMs: number;
  logRetentionDays: number;
  logger: Logger;
  /** Told how many lost attempts each pass closed and how many missing jobs it put back. */
  metrics?: MaintenanceRecorder;
}

export interface Maintenance {
  /**
   * Runs a pass now, or joins the one in progress; it does the work only when this process holds or wins the lock.
   * The loop calls it each interval (and once at start); tests call it to run a pass without waiting.
   */
  runOnce(): Promise<void>;
  /** Stops the loop, waits up to 5 s for a pass in progress, and lets go of the lock. */
  stop(): Promise<void>;
}

const LOST_ATTEMPTS_PER_PASS = 500;
const REPAIR_BATCH = 1_000;
const REPAIR_MAX_BATCHES = 50;
const RETENTION_BATCH = 5_000;
const RETENTION_MAX_BATCHES = 20;
const STOP_WAIT_MS = 5_000;

/**
 * The reconciler and maintenance loop. Every worker runs it; a lock in the queue's store lets one of them at a time do
 * the work (a dead holder is replaced: the Redis lock lapses after three intervals, the Postgres lock with its session).
 * Each pass: closes the attempts of lost workers, puts back attempt and delivery jobs missing from the queue, deletes
 * logs and notifications past retention.
 * A pass that fails (Postgres or Redis away) is logged and the next one tries again.
 */
export function startMaintenance(options: MaintenanceOptions): Maintenance {
  const { context, logger } = options;
  const lock = options.backend.createLeaderLock('maintenance', { ttlMs: options.intervalMs * 3 });
  // Tasks due within a few intervals are checked each pass; later ones when their time comes closer.
  const lookaheadMs = Math.max(60_000, options.intervalMs * 4);
  let cursor: ScheduleCursor | undefined;
  let deliveriesCursor: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const pass = async (): Promise<void> => {
    try {
      if (!(await lock.acquire())) return;
      const recovered = await recoverLostAttempts(context, { limit: LOST_ATTEMPTS_PER_PASS });
      options.metrics?.lostAttemptsClosed(recovered);
      const repair = await repairQueue(context, { lookaheadMs, batchSize: REPAIR_BATCH, maxBatches: REPAIR_MAX_BATCHES, cursor });
      cursor = repair.cursor;
      options.metrics?.jobsReenqueued(repair.enqueued);
      const deliveries = await repairDeliveries(
        { db: context.db, queue: context.notifications.queue },
        { batchSize: REPAIR_BATCH, maxBatches: REPAIR_MAX_BATCHES, cursor: deliveriesCursor },
      );
      deliveriesCursor = deliveries.cursor;
      const retention = await applyRetention(context, {
        logRetentionDays: options.logRetentionDays,
        batchSize: RETENTION_BATCH,
        maxBatches: RETENTION_MAX_BATCHES,
        idempotencyKeyTtlMs: IDEMPOTENCY_KEY_TTL_MS,
      });
      const level = recovered > 0 || repair.enqueued > 0 || deliveries.enqueued > 0 ? 'info' : 'debug';
      logger[level](
        { recovered, checked: repair.checked, reenqueued: repair.enqueued, deliveriesReenqueued: deliveries.enqueued, retention },
        'maintenance pass',
      );
    } catch (error) {
      logger.warn({ err: error }, 'maintenance pass failed; the next one tries again');
    }
  };

  const runOnce = (): Promise<void> => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void runOnce().then(schedule);
    }, options.intervalMs);
    timer.unref();
  };
  void runOnce().then(schedule);

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      // A pass waiting for Redis or Postgres to come back must not hold up shutdown; its work is safe to cut short.
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise((resolve) => (timeout = setTimeout(resolve, STOP_WAIT_MS)))]);
      clearTimeout(timeout);
      await Promise.race([lock.release().catch(() => {}), new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())]);
    },
  };
}
