import { PUNCTUAL_VERSION } from '@punctual/config';
import { AdminBootstrapRefusedError, bootstrapAdmin, createLogger, isStartupProblem, readStartupConfig } from '@punctual/core';
import { createDatabase } from '@punctual/db';
import { exitOnStartupProblem, releaseStartupMemory, stopGracefully } from '@punctual/process';
import { createQueueBackend } from '@punctual/queue';
import { startProcessTracing } from '@punctual/telemetry';
import { buildApp } from './app.js';

// Listen and close gracefully; everything else is in app.ts.
const config = await exitOnStartupProblem(readStartupConfig(), isStartupProblem);

const logger = createLogger({ name: 'punctual-api', level: config.logLevel, format: config.logFormat });
for (const warning of config.warnings) logger.warn(warning);
// Before buildApp: the Fastify instrumentation attaches when the instance is created. Null unless OTEL_EXPORTER_OTLP_ENDPOINT.
const tracing = await startProcessTracing(config.tracing, { defaultName: 'punctual-api', version: PUNCTUAL_VERSION }, logger);

const db = createDatabase(config.databaseUrl, { maxConnections: 20, applicationName: 'punctual-api' });

// Before anything else is opened, so a refusal has only the database to close.
if (config.admin) {
  try {
    const admin = await bootstrapAdmin(db, config.admin);
    logger.info({ email: admin.email }, 'admin account ready');
  } catch (error) {
    if (!(error instanceof AdminBootstrapRefusedError)) throw error;
    console.error(error.message);
    await db.destroy();
    process.exit(1);
  }
}

// Redis or Postgres (QUEUE_BACKEND); the API's connections fail fast, so a request never waits for a dead store.
const queueBackend = await createQueueBackend({
  backend: config.queueBackend,
  redisUrl: config.redisUrl,
  databaseUrl: config.databaseUrl,
  prefix: config.queuePrefix,
  telemetry: tracing?.queueTelemetry,
});
const app = await buildApp({ config, db, queueBackend }, { logger });

stopGracefully({ delayMs: 10_000, logger }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'closing after an error');
  else logger.info({ signal }, 'closing');
  await app.close();
  logger.debug('http server closed');
  await queueBackend.close();
  logger.debug('queue closed');
  await db.destroy();
  await tracing?.shutdown();
  logger.info('stopped');
});

// The request-path clients fail fast instead of queueing, so until they are connected /health would say the queue is
// down. It answered moments ago; should it not be ready in time, serve anyway and let /health say degraded.
const QUEUE_READY_TIMEOUT_MS = 10_000;
if (!(await queueBackend.waitUntilReady(QUEUE_READY_TIMEOUT_MS)))
  logger.warn(`queue connection not ready after ${QUEUE_READY_TIMEOUT_MS} ms; listening anyway (/health reports it)`);
for (const warning of await queueBackend.warnings()) logger.warn(warning);

await app.listen({ host: config.host, port: config.port });
// After listen: Fastify compiles the routes' schemas when it gets ready, which is part of start-up's garbage.
releaseStartupMemory();
