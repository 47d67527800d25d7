import { type Static, Type } from 'typebox';

const Integer = (options: { default: number; minimum: number; maximum: number; description: string }) => Type.Integer(options);

/**
 * Every environment variable Punctual reads, with its default. The one place configuration is defined;
 * `.env.example` and the README's table follow it.
 */
export const EnvSchema = Type.Object({
  NODE_ENV: Type.Enum(['development', 'production', 'test'], { default: 'development' }),
  DATABASE_URL: Type.String({
    default: 'postgres://postgres@127.0.0.1:5432/punctual',
    pattern: '^postgres(ql)?://',
    description: 'created if it does not exist',
  }),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379', pattern: '^rediss?://' }),
  EMBEDDED: Type.Boolean({
    default: false,
    description: '`pnpm start` runs an embedded Postgres under DATA_DIR (and the Postgres queue backend by default)',
  }),
  DATA_DIR: Type.String({ default: '.data', minLength: 1, description: "the embedded Postgres's data, kept across restarts" }),
  QUEUE_PREFIX: Type.String({ default: 'punctual', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$' }),
  QUEUE_BACKEND: Type.Optional(
    Type.Enum(['redis', 'postgres'], {
      description: 'where BullMQ keeps the queue: redis (default; fleets) or postgres (DATABASE_URL; default when EMBEDDED=true)',
    }),
  ),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
  PORT: Integer({ default: 3000, minimum: 0, maximum: 65535, description: 'API port' }),
  BODY_LIMIT_BYTES: Integer({
    default: 1_048_576,
    minimum: 1024,
    maximum: 104_857_600,
    description: 'largest request body the API accepts',
  }),
  RATE_LIMIT_MAX: Integer({
    default: 600,
    minimum: 1,
    maximum: 10_000_000,
    description: "API requests per minute per user, counted in the queue backend's store so every API replica shares it",
  }),
  AUTH_RATE_LIMIT_MAX: Integer({
    default: 30,
    minimum: 1,
    maximum: 10_000_000,
    description: 'register/login requests per minute per client IP',
  }),
  TRUST_PROXY: Type.String({
    default: 'false',
    minLength: 1,
    description: 'false, true, a hop count, or a comma-separated list of proxy addresses/CIDRs whose X-Forwarded-For is believed',
  }),
  CORS_ORIGINS: Type.Optional(Type.String({ description: 'comma-separated origins allowed to call the API from a browser' })),
  MAX_TASKS_PER_USER: Integer({ default: 100_000, minimum: 1, maximum: 100_000_000, description: 'live (non-terminal) tasks per user' }),
  MIN_CRON_INTERVAL_SECONDS: Integer({ default: 1, minimum: 1, maximum: 86_400, description: 'the shortest cron period allowed' }),
  WORKER_CONCURRENCY: Integer({ default: 50, minimum: 1, maximum: 1000, description: 'jobs in flight per worker process' }),
  USER_CONCURRENCY: Integer({
    default: 25,
    minimum: 1,
    maximum: 100_000,
    description: 'attempts in flight per user across the fleet; more wait their turn without using an attempt',
  }),
  MISFIRE_GRACE_MS: Integer({
    default: 60_000,
    minimum: 0,
    maximum: 86_400_000,
    description: 'how late an occurrence of a recurring task may start before it counts as missed (see misfire)',
  }),
  WORKER_HTTP_PORT: Integer({
    default: 9464,
    minimum: 0,
    maximum: 65535,
    description: 'worker /health, /health/ready and /metrics; 0 = a free port',
  }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  JWT_EXPIRES_IN: Type.String({ default: '1h', pattern: '^[0-9]+(ms|s|m|h|d)?$' }),
  ADMIN_EMAIL: Type.Optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 254 })),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8 })),
  ALLOW_REGISTRATION: Type.Boolean({ default: true }),
  REQUEST_TIMEOUT_MS: Integer({ default: 10_000, minimum: 100, maximum: 300_000, description: 'default timeoutMs' }),
  MAX_RETRIES: Integer({ default: 3, minimum: 0, maximum: 25, description: 'default maxRetries' }),
  RETRY_DELAY_MS: Integer({ default: 10_000, minimum: 0, maximum: 604_800_000, description: 'default backoff.delayMs' }),
  RETRY_MAX_DELAY_MS: Integer({ default: 3_600_000, minimum: 0, maximum: 604_800_000, description: 'default backoff.maxDelayMs' }),
  ALLOW_PRIVATE_TARGETS: Type.Boolean({
    default: false,
    description: 'let tasks call loopback, private, link-local and other non-public addresses (development and tests only)',
  }),
  RESPONSE_BODY_LIMIT_BYTES: Integer({ default: 65_536, minimum: 0, maximum: 10_485_760, description: 'response bytes kept per attempt' }),
  RECONCILE_INTERVAL_MS: Integer({
    default: 15_000,
    minimum: 100,
    maximum: 3_600_000,
    description: 'how often the maintenance loop repairs the queue from Postgres, recovers lost attempts and applies retention',
  }),
  LEASE_MARGIN_MS: Integer({
    default: 30_000,
    minimum: 100,
    maximum: 3_600_000,
    description: "how long past an attempt's timeoutMs its lease lasts before the attempt counts as lost (worker lost)",
  }),
  LOG_RETENTION_DAYS: Integer({ default: 30, minimum: 1, maximum: 36_500, description: 'task_logs older than this are deleted' }),
  SECRETS_KEY: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$', description: '32 bytes, base64' })),
  SECRETS_KEY_PREVIOUS: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9+/]{43}=$',
      description: 'the key before a rotation (32 bytes, base64): still opens what it sealed until `pnpm secrets:rotate` re-seals it',
    }),
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s]+$',
      description:
        'turns tracing on: the OTLP/HTTP base URL spans are sent to (e.g. http://localhost:4318); unset, no tracing code is loaded',
    }),
  ),
  OTEL_SERVICE_NAME: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'service.name of the spans (default punctual-api / punctual-worker)' }),
  ),
  OTEL_BSP_SCHEDULE_DELAY: Integer({
    default: 5_000,
    minimum: 1,
    maximum: 600_000,
    description: 'milliseconds between two exports of finished spans',
  }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  LOG_FORMAT: Type.Optional(Type.Enum(['json', 'pretty'], { description: 'json lines, or pino-pretty; default pretty in development' })),
  SMTP_URL: Type.Optional(
    Type.String({
      pattern: '^smtps?://[^\\s]+$',
      description:
        'where emails are sent (smtp://user:pass@host:587, smtps:// for TLS from the start); unset, emails are recorded as failed',
    }),
  ),
  EMAIL_FROM: Type.String({ default: 'punctual@localhost', minLength: 3, maxLength: 254, description: 'the From of every email' }),
  PUBLIC_URL: Type.Optional(
    Type.String({ pattern: '^https?://[^\\s]+$', description: "the dashboard's address, for links to a task in emails" }),
  ),
  NOTIFY_EMAIL_DOMAINS: Type.Optional(
    Type.String({
      description: "comma-separated domains that notify.email may name besides the owner's own address (so Punctual is no open mail relay)",
    }),
  ),
  BULL_BOARD_READ_ONLY: Type.Boolean({
    default: true,
    description: 'false lets admins retry, clean, promote and remove jobs from the Bull Board at /admin/queues',
  }),
});

export type Env = Static<typeof EnvSchema>;
