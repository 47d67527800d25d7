import { AdminBootstrapRefusedError, bootstrapAdmin, createLogger, isStartupProblem, readStartupConfig } from '@punctual/core';
import { createDatabase } from '@punctual/db';
import { createRedisConnection, createTaskQueue, evictionPolicyWarning, waitForRedisReady } from '@punctual/queue';
import closeWithGrace from 'close-with-grace';
import { buildApp, RATE_LIMIT_COMMAND_TIMEOUT_MS } from './app.js';

// Listen and close gracefully; everything else is in app.ts.
const config = await readStartupConfig().catch((error: unknown) => {
  // A problem an operator can fix is printed as its own line(s), without a stack trace.
  if (!isStartupProblem(error)) throw error;
  console.error(error.message);
  process.exit(1);
});

const logger = createLogger({ name: 'punctual-api', level: config.logLevel, format: config.logFormat });
for (const warning of config.warnings) logger.warn(warning);

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

const redis = createRedisConnection(config.redisUrl);
const queueConnection = createRedisConnection(config.redisUrl);
const rateLimitRedis = createRedisConnection(config.redisUrl, { commandTimeout: RATE_LIMIT_COMMAND_TIMEOUT_MS });
const queue = createTaskQueue({ connection: queueConnection, prefix: config.queuePrefix });
const app = await buildApp({ config, db, redis, rateLimitRedis, queue }, { logger });

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'closing after an error');
  else logger.info({ signal }, 'closing');
  await app.close();
  logger.debug('http server closed');
  await queue.close();
  logger.debug('queue closed');
  queueConnection.disconnect();
  rateLimitRedis.disconnect();
  redis.disconnect();
  await db.destroy();
  logger.info('stopped');
});

// The request-path client fails fast instead of queueing, so until it is connected /health would say Redis is down.
// Redis answered moments ago; should it not be ready in time, serve anyway and let /health say degraded.
const REDIS_READY_TIMEOUT_MS = 10_000;
const redisReady = await Promise.all([
  waitForRedisReady(redis, REDIS_READY_TIMEOUT_MS),
  waitForRedisReady(queueConnection, REDIS_READY_TIMEOUT_MS),
  waitForRedisReady(rateLimitRedis, REDIS_READY_TIMEOUT_MS),
]);
if (redisReady.includes(false))
  logger.warn(`Redis connection not ready after ${REDIS_READY_TIMEOUT_MS} ms; listening anyway (/health reports it)`);
const eviction = await evictionPolicyWarning(redis);
if (eviction) logger.warn(eviction);

await app.listen({ host: config.host, port: config.port });
