import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '@punctual/config';
import { ApiKey, ErrorResponse, ManagedUser, Task, TaskLog, TaskNotification, User } from '@punctual/contract';
import type { TaskContext } from '@punctual/core';
import type { Database, Kysely } from '@punctual/db';
import type { QueueBackend } from '@punctual/queue';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerAuth } from './plugins/auth.js';
import { registerBullBoard } from './plugins/bull-board.js';
import { registerDocs } from './plugins/docs.js';
import { registerDashboard, dashboardRoot } from './plugins/dashboard.js';
import { registerErrorHandler, registerNotFound } from './plugins/error-handler.js';
import { registerInputSanity } from './plugins/input-sanity.js';
import { registerMetrics } from './plugins/metrics.js';
import { registerRateLimit } from './plugins/rate-limit.js';
import { RequestLogController } from './plugins/request-log.js';
import { registerSecurityHeaders } from './plugins/security-headers.js';
import { registerValidation } from './plugins/validation.js';
import { apiKeyRoutes } from './routes/auth/api-keys.js';
import { authRoutes } from './routes/auth/index.js';
import { passwordRoutes } from './routes/auth/password.js';
import { healthRoutes } from './routes/health/index.js';
import { logRoutes } from './routes/logs/index.js';
import { scheduleRoutes } from './routes/schedules/index.js';
import { statsRoutes } from './routes/stats/index.js';
import { taskActionRoutes } from './routes/tasks/actions.js';
import { taskRoutes } from './routes/tasks/index.js';
import { userRoutes } from './routes/users/index.js';

const REQUEST_TIMEOUT_MS = 30_000;
const CONNECTION_TIMEOUT_MS = 60_000;

/** Fastify takes a hop count at run time but not in its types: the function proxy-addr would make of it. */
function fastifyTrustProxy(trust: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust !== 'number') return trust;
  return (_address, hop) => hop < trust;
}

export interface AppDependencies {
  config: Config;
  db: Kysely<Database>;
  /** The queue (enqueue, withdraw), its health check and the rate limits' counters: Redis or Postgres. */
  queueBackend: QueueBackend;
}

declare module 'fastify' {
  interface FastifyInstance {
    punctual: { db: Kysely<Database>; queueBackend: QueueBackend; tasks: TaskContext };
  }
}

/** The API: plugins first (validation, errors, security headers, docs, auth, rate limits), then routes. Connections are passed in, never created here. */
export interface AppOptions {
  logger?: FastifyBaseLogger;
  /** The built dashboard to serve at `/` (a folder with index.html and assets/); @punctual/dashboard's dist/ by default. */
  dashboardRoot?: string;
}

export async function buildApp(deps: AppDependencies, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = deps;
  const logController = new RequestLogController();
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    logController,
    bodyLimit: config.bodyLimitBytes,
    // X-Forwarded-For is believed only from the proxies TRUST_PROXY names: otherwise a client picks its own IP.
    trustProxy: fastifyTrustProxy(config.trustProxy),
    // A client gets 30 s to send its whole request (headers and body) and a socket idle for 60 s is closed, so slow
    // or silent clients cannot hold connections open for ever.
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    // A JSON body's keys like "__proto__" are refused rather than risk prototype pollution.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  }).withTypeProvider<TypeBoxTypeProvider>();
  if (options.logger) logController.attach(app.log);
  // JSON only: without this, Fastify's built-in text/plain parser turns a text body into a 400 instead of a 415.
  app.removeContentTypeParser('text/plain');

  // A keep-alive connection whose request was in flight when close began would otherwise stay open until its
  // keep-alive timeout (72 s), holding the process past its grace period: answer it, then close the connection.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  app.decorate('punctual', {
    db: deps.db,
    queueBackend: deps.queueBackend,
    tasks: {
      db: deps.db,
      queue: deps.queueBackend.tasks,
      secretsKey: config.secretsKey,
      secretsKeyPrevious: config.secretsKeyPrevious,
      defaults: config.defaults,
      limits: { maxTasksPerUser: config.limits.maxTasksPerUser, minCronIntervalSeconds: config.limits.minCronIntervalSeconds },
      allowPrivateTargets: config.allowPrivateTargets,
      allowedEmailDomains: config.email.allowedDomains,
      misfireGraceMs: config.misfireGraceMs,
      logger: app.log,
    },
  });
  // First, so its hook counts the requests of every route registered after it (and the 404s).
  await registerMetrics(app);
  registerValidation(app);
  registerErrorHandler(app);
  registerInputSanity(app);
  await registerSecurityHeaders(app, { corsOrigins: config.corsOrigins });
  registerNotFound(app, await registerDashboard(app, { root: options.dashboardRoot ?? dashboardRoot() }));
  for (const schema of [ErrorResponse, User, ManagedUser, ApiKey, Task, TaskLog, TaskNotification]) app.addSchema(schema);
  await registerDocs(app);
  await registerAuth(app, { secret: config.jwtSecret, expiresIn: config.jwtExpiresIn, db: deps.db });

  await app.register(healthRoutes);
  await registerBullBoard(app, {
    db: deps.db,
    queues: [deps.queueBackend.tasks.queue, deps.queueBackend.notifications.queue],
    readOnly: config.bullBoardReadOnly,
    counter: deps.queueBackend.rateLimits,
    maxLoginAttempts: config.limits.authRateLimitMax,
  });
  await app.register(
    async (api) => {
      // Only the API routes are limited: health, docs and metrics stay answerable under any load.
      await registerRateLimit(api, {
        counter: deps.queueBackend.rateLimits,
        perUser: config.limits.rateLimitMax,
        perClientIp: config.limits.authRateLimitMax,
      });
      await api.register(authRoutes, { allowRegistration: config.allowRegistration });
      await api.register(apiKeyRoutes);
      await api.register(passwordRoutes);
      await api.register(userRoutes);
      await api.register(taskRoutes);
      await api.register(taskActionRoutes);
      await api.register(scheduleRoutes);
      await api.register(logRoutes);
      await api.register(statsRoutes);
    },
    { prefix: '/api/v1' },
  );
  return app;
}
