import { hostname } from 'node:os';
import { PUNCTUAL_VERSION } from '@punctual/config';
import { createLogger, isStartupProblem, readStartupConfig } from '@punctual/core';
import { createAttemptWriter, createDatabase, pingDatabase } from '@punctual/db';
import { createExecutor } from '@punctual/executor';
import { createMailer } from '@punctual/notifier';
import { createWorkerMetrics } from '@punctual/metrics';
import { exitOnStartupProblem, releaseStartupMemory, stopGracefully } from '@punctual/process';
import { createQueueBackend, parseTaskAttemptJob } from '@punctual/queue';
import { startProcessTracing } from '@punctual/telemetry';
import { startWorkerHttpServer } from './http-server.js';
import { createDatabaseGate } from './database-gate.js';
import { startMaintenance } from './maintenance.js';
import { createNotificationProcessor, isDeliveryRetry } from './notification-processor.js';
import { createProcessor } from './processor.js';
import { closeWorker, logWorkerErrors, trackAttempts } from './queue-worker.js';

/** The longest attempt (timeoutMs ≤ 300 s) plus time to record it: SIGTERM waits this long for in-flight calls. */
const SHUTDOWN_GRACE_MS = 310_000;
const HEALTH_CHECK_TIMEOUT_MS = 2_000;
/**
 * Deliveries (emails, callbacks) in flight per worker process. Each is bounded by its own deadline (a callback's 10 s,
 * the SMTP timeouts), and they have their own queue and slots: a slow SMTP server or callback target holds these, never
 * an attempt's. Waiting on the network costs a slot little, so there are as many as attempts have by default: one
 * user's callbacks to a target that never answers hold at most one slot each per 10 s.
 */
const DELIVERY_CONCURRENCY = 50;

const config = await exitOnStartupProblem(readStartupConfig(), isStartupProblem);

const workerId = `${hostname()}:${process.pid}`;
const logger = createLogger({ name: 'punctual-worker', level: config.logLevel, format: config.logFormat, base: { workerId } });
for (const warning of config.warnings) logger.warn(warning);
// Null (and nothing of OpenTelemetry's SDK loaded) unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
const tracing = await startProcessTracing(config.tracing, { defaultName: 'punctual-worker', version: PUNCTUAL_VERSION }, logger);

// No transaction spans an HTTP call, so a few connections serve many concurrent attempts.
const db = createDatabase(config.databaseUrl, {
  maxConnections: Math.min(20, config.workerConcurrency),
  applicationName: 'punctual-worker',
});
// Redis or Postgres (QUEUE_BACKEND); the worker's connections wait out an outage rather than fail.
const queueBackend = await createQueueBackend({
  backend: config.queueBackend,
  redisUrl: config.redisUrl,
  databaseUrl: config.databaseUrl,
  prefix: config.queuePrefix,
  blocking: true,
  telemetry: tracing?.queueTelemetry,
});
const queue = queueBackend.tasks;
// The address guard refuses loopback, private and metadata addresses unless ALLOW_PRIVATE_TARGETS (warned about above).
const executor = createExecutor({
  responseBodyLimitBytes: config.responseBodyLimitBytes,
  userAgent: `punctual/${PUNCTUAL_VERSION}`,
  allowPrivateTargets: config.allowPrivateTargets,
});

// Without SMTP_URL, emails are recorded as failed when their attempt is (and logged), never queued.
const mailer = config.email.smtpUrl ? createMailer({ smtpUrl: config.email.smtpUrl, from: config.email.from }) : null;
if (!mailer) logger.warn('SMTP_URL is not set: outcome emails are recorded as failed, not sent');
const notifications = { emailEnabled: mailer !== null, queue: queueBackend.notifications };

// Queue depth is read from the queue at each scrape (either backend), bounded so a Redis outage cannot hang /metrics.
const metrics = createWorkerMetrics({ jobCounts: (...states) => queue.queue.getJobCounts(...states) });

const gate = createDatabaseGate({
  // Attempts in flight finish (or fail to record, and are retried); no new job is taken meanwhile.
  pause: () => Promise.all([worker.pause(true), deliveryWorker.pause(true)]).then(() => {}),
  resume: async () => {
    await Promise.all([worker.resume(), deliveryWorker.resume()]);
  },
  probe: () => pingDatabase(db),
  probeIntervalMs: 1_000,
  logger,
});
const processor = createProcessor(
  {
    db,
    queue,
    executor,
    secretsKey: config.secretsKey,
    secretsKeyPrevious: config.secretsKeyPrevious,
    workerId,
    leaseMarginMs: config.leaseMarginMs,
    logger,
    metrics: metrics.attempts,
    // Concurrent attempts share their claim and record statements (group commit): Postgres' cost per attempt is the
    // bottleneck of a drain, and most of it is per statement (parse, plan, start, commit), not per row.
    writer: createAttemptWriter(db, { workerId, leaseMarginMs: config.leaseMarginMs }),
    notifications,
    limits: { slots: queueBackend.attemptSlots, userConcurrency: config.userConcurrency },
    misfireGraceMs: config.misfireGraceMs,
  },
  logger,
  { onDatabaseUnavailable: () => gate.close() },
);
// Shutdown knows when the attempts in flight are done without asking the queue's store.
const attempts = trackAttempts(processor);
// Takes no job until stopGracefully is installed (below): a SIGTERM before that would cut an attempt short.
const worker = queueBackend.createWorker(attempts.processor, { concurrency: config.workerConcurrency, autorun: false });
worker.on('failed', (job, err) => {
  const ids = parseTaskAttemptJob(job?.data);
  logger.warn(
    { err, jobId: job?.id, taskId: ids?.taskId, runId: ids?.runId, attemptsMade: job?.attemptsMade },
    'job failed; BullMQ retries it',
  );
});

const deliveries = trackAttempts(
  createNotificationProcessor(
    {
      db,
      executor,
      mailer,
      publicUrl: config.email.publicUrl,
      secretsKey: config.secretsKey,
      secretsKeyPrevious: config.secretsKeyPrevious,
      logger,
      metrics: metrics.deliveries,
    },
    logger,
  ),
);
const deliveryWorker = queueBackend.createNotificationWorker(deliveries.processor, { concurrency: DELIVERY_CONCURRENCY, autorun: false });
deliveryWorker.on('failed', (job, err) => {
  // A delivery to try again is expected (its error is on the notification row); anything else is worth a warning.
  const level = isDeliveryRetry(err) ? 'debug' : 'warn';
  logger[level]({ err, jobId: job?.id, attemptsMade: job?.attemptsMade }, 'delivery job failed; BullMQ retries it');
});
logWorkerErrors([worker, deliveryWorker], queueBackend.name, logger);

const health = await startWorkerHttpServer({
  host: config.host,
  port: config.workerHttpPort,
  // The queue's connection queues commands while Redis is away: without the deadline, /health would hang with it.
  checks: { postgres: () => pingDatabase(db), queue: () => queueBackend.ping() },
  checkTimeoutMs: HEALTH_CHECK_TIMEOUT_MS,
  queueBackend: queueBackend.name,
  metrics: metrics.registry,
});
// One worker at a time (by a lock in the queue's store) repairs the queue from Postgres, recovers lost attempts and
// applies retention.
const maintenance = startMaintenance({
  context: { db, queue, logger, notifications, misfireGraceMs: config.misfireGraceMs },
  backend: queueBackend,
  intervalMs: config.reconcileIntervalMs,
  logRetentionDays: config.logRetentionDays,
  logger,
  metrics: metrics.maintenance,
});

for (const warning of await queueBackend.warnings()) logger.warn(warning);
// The first attempts would otherwise load the slot scripts on the way to their calls (a slow start it can do now).
await queueBackend.attemptSlots
  .prepare()
  .catch((err: unknown) => logger.warn({ err }, 'attempt slots not prepared; they load on first use'));

releaseStartupMemory();
logger.info(
  { port: health.port, concurrency: config.workerConcurrency, queuePrefix: config.queuePrefix, queueBackend: queueBackend.name },
  'worker started',
);

stopGracefully({ delayMs: SHUTDOWN_GRACE_MS, logger }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'closing after an error');
  else logger.info({ signal }, 'stopping: no new jobs, finishing the ones in flight');
  // Waits for in-flight attempts to be recorded before anything they need is closed.
  gate.stop();
  await Promise.all([
    closeWorker(worker, attempts, queueBackend.name, logger),
    closeWorker(deliveryWorker, deliveries, queueBackend.name, logger),
    maintenance.stop(),
  ]);
  await queueBackend.close();
  mailer?.close();
  await executor.close();
  health.server.close();
  await db.destroy();
  await tracing?.shutdown();
  logger.info('stopped');
});
worker.run().catch((err: unknown) => worker.emit('error', err as Error));
deliveryWorker.run().catch((err: unknown) => deliveryWorker.emit('error', err as Error));
