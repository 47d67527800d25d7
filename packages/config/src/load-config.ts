import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { Value } from 'typebox/value';
import { parseCorsOrigins } from './cors-origins.js';
import { EnvSchema, type Env } from './env-schema.js';
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js';
import { adminPasswordWeakness, DEVELOPMENT_SECRETS_KEY, jwtSecretWeakness, secretsKeyWeakness } from './weak-secrets.js';

export type LogLevel = Env['LOG_LEVEL'];
/** Where BullMQ keeps the queue: Redis (REDIS_URL) or Postgres (DATABASE_URL, BullMQ's PostgreSQL backend). */
export type QueueBackendName = NonNullable<Env['QUEUE_BACKEND']>;
export type LogFormat = NonNullable<Env['LOG_FORMAT']>;

/** Punctual's configuration, parsed once at boot and passed to whatever needs a value. */
export interface EmailConfig {
  /** Null: emails are recorded as failed ("SMTP_URL is not set") and logged, never sent. */
  smtpUrl: string | null;
  from: string;
  /** The dashboard's base address (no trailing slash), for links in emails; null: no links. */
  publicUrl: string | null;
  /** Lower-case domains that `notify.email` may name besides the owner's own address. */
  allowedDomains: string[];
}

export interface Config {
  env: Env['NODE_ENV'];
  databaseUrl: string;
  /** Not used (nothing connects to Redis) when `queueBackend` is postgres. */
  redisUrl: string;
  /** EMBEDDED: the single-machine mode (`pnpm start` runs an embedded Postgres); it sets QUEUE_BACKEND's default. */
  embedded: boolean;
  /** DATA_DIR: where the embedded Postgres keeps its data, as given (relative to the working directory). */
  dataDir: string;
  queuePrefix: string;
  queueBackend: QueueBackendName;
  host: string;
  port: number;
  bodyLimitBytes: number;
  /** Which proxies' X-Forwarded-For the API believes (Fastify's `trustProxy`). */
  trustProxy: TrustProxy;
  /** Origins allowed to call the API from a browser; empty: no CORS headers at all. */
  corsOrigins: string[];
  limits: {
    /** API requests per minute per user. */
    rateLimitMax: number;
    /** Register and login requests per minute per client IP. */
    authRateLimitMax: number;
    /** Live (non-terminal) tasks per user. */
    maxTasksPerUser: number;
    /** The shortest gap between two runs of a cron schedule. */
    minCronIntervalSeconds: number;
  };
  workerConcurrency: number;
  /** USER_CONCURRENCY: attempts in flight per user across the fleet. */
  userConcurrency: number;
  /** MISFIRE_GRACE_MS: how late an occurrence may start before it counts as missed. */
  misfireGraceMs: number;
  workerHttpPort: number;
  jwtSecret: string;
  jwtExpiresIn: string;
  admin: { email: string; password: string } | null;
  allowRegistration: boolean;
  defaults: {
    timeoutMs: number;
    maxRetries: number;
    retryDelayMs: number;
    retryMaxDelayMs: number;
  };
  responseBodyLimitBytes: number;
  /** ALLOW_PRIVATE_TARGETS: the address guard is off, so tasks may call loopback, private and metadata addresses. */
  allowPrivateTargets: boolean;
  reconcileIntervalMs: number;
  leaseMarginMs: number;
  logRetentionDays: number;
  /** 32-byte master key for secrets at rest (task tokens, sensitive headers, signing secrets): seals and opens. */
  secretsKey: Buffer;
  /** The master key before a rotation: only opens, until `pnpm secrets:rotate` has re-sealed everything. */
  secretsKeyPrevious: Buffer | null;
  logLevel: LogLevel;
  /** LOG_FORMAT: JSON lines, or pino-pretty for people (the default when NODE_ENV=development). */
  logFormat: LogFormat;
  /** BULL_BOARD_READ_ONLY: the Bull Board shows the queues but refuses retries, cleans and the like. */
  bullBoardReadOnly: boolean;
  /** Outcome emails (SMTP_URL, EMAIL_FROM, PUBLIC_URL, NOTIFY_EMAIL_DOMAINS). */
  email: EmailConfig;
  /** OpenTelemetry tracing: on when `otlpEndpoint` is set; `serviceName` null means each process's own default. */
  tracing: { otlpEndpoint: string | null; serviceName: string | null; exportDelayMs: number };
  /** Things an operator should know about, to be logged once the logger exists. */
  warnings: string[];
}

/** Thrown with one line per invalid variable, naming it and never showing its value; the process prints them and exits. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment into a Config. Pure: give it the variables; `readConfig()` adds `.env`.
 * Throws ConfigError naming every invalid variable. A message never repeats the value it refuses: the value may be a
 * secret, and start-up errors end up in logs.
 */
export function loadConfig(source: Record<string, string | undefined>): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = source[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const converted = Value.Default(EnvSchema, Value.Convert(EnvSchema, structuredClone(raw)));
  // One line per variable: a value can break several rules at once (pattern and length, say); the first is enough.
  const firstErrors = new Map<string, string>();
  for (const error of Value.Errors(EnvSchema, converted)) {
    const name = error.instancePath.replace(/^\//, '');
    const message = error.keyword === 'enum' ? `must be one of ${error.params.allowedValues.join(', ')}` : error.message;
    if (!firstErrors.has(name)) firstErrors.set(name, message);
  }
  // Never the value: it may be a secret, and start-up errors end up in logs.
  const problems = [...firstErrors].map(([name, message]) => `${name}: ${message}`);
  if (problems.length > 0) throw new ConfigError(problems);
  const env = converted as Env;

  const warnings: string[] = [];
  if (raw.NODE_ENV === undefined) {
    warnings.push(
      'NODE_ENV is not set: running in DEVELOPMENT mode (weak secrets accepted, a random JWT secret, a public secrets key). ' +
        'Set NODE_ENV=production on every deployed process.',
    );
  }
  const production = env.NODE_ENV === 'production';
  if (production && !env.JWT_SECRET) problems.push('JWT_SECRET: required when NODE_ENV=production (at least 32 characters)');
  if (production && !env.SECRETS_KEY)
    problems.push('SECRETS_KEY: required when NODE_ENV=production (32 random bytes, base64: `openssl rand -base64 32`)');
  if (production && env.JWT_SECRET) {
    const weakness = jwtSecretWeakness(env.JWT_SECRET);
    if (weakness) problems.push(`JWT_SECRET: ${weakness}; use a random value (openssl rand -base64 48)`);
  }
  if (production && env.SECRETS_KEY) {
    const weakness = secretsKeyWeakness(env.SECRETS_KEY, Buffer.from(env.SECRETS_KEY, 'base64'));
    if (weakness) problems.push(`SECRETS_KEY: ${weakness}; use 32 random bytes (openssl rand -base64 32)`);
  }
  if (production && env.ADMIN_PASSWORD) {
    const weakness = adminPasswordWeakness(env.ADMIN_PASSWORD);
    if (weakness) problems.push(`ADMIN_PASSWORD: ${weakness}; use a long random password`);
  }
  const trustProxy = parsed('TRUST_PROXY', () => parseTrustProxy(env.TRUST_PROXY), problems);
  const corsOrigins = parsed('CORS_ORIGINS', () => parseCorsOrigins(env.CORS_ORIGINS), problems);
  if (env.SECRETS_KEY_PREVIOUS && !env.SECRETS_KEY) problems.push('SECRETS_KEY_PREVIOUS: set only beside the SECRETS_KEY that replaces it');
  if (env.SECRETS_KEY_PREVIOUS && env.SECRETS_KEY_PREVIOUS === env.SECRETS_KEY) {
    problems.push('SECRETS_KEY_PREVIOUS: is the same key as SECRETS_KEY (give the key that SECRETS_KEY replaced)');
  }
  if ((env.ADMIN_EMAIL === undefined) !== (env.ADMIN_PASSWORD === undefined)) {
    problems.push(`${env.ADMIN_EMAIL ? 'ADMIN_PASSWORD' : 'ADMIN_EMAIL'}: set ADMIN_EMAIL and ADMIN_PASSWORD together`);
  }
  const notifyEmailDomains = parsed('NOTIFY_EMAIL_DOMAINS', () => parseEmailDomains(env.NOTIFY_EMAIL_DOMAINS), problems);
  const publicUrl = parsed('PUBLIC_URL', () => parseBaseUrl(env.PUBLIC_URL), problems);
  if (problems.length > 0) throw new ConfigError(problems);

  let jwtSecret = env.JWT_SECRET;
  if (!jwtSecret) {
    jwtSecret = randomBytes(32).toString('base64url');
    if (env.NODE_ENV === 'development') warnings.push('JWT_SECRET is not set: using a random one, so tokens stop working at restart');
  }
  let secretsKey = env.SECRETS_KEY ? Buffer.from(env.SECRETS_KEY, 'base64') : DEVELOPMENT_SECRETS_KEY;
  if (!env.SECRETS_KEY && env.NODE_ENV === 'development') {
    warnings.push('SECRETS_KEY is not set: task tokens are encrypted with a well-known development key');
  }
  if (secretsKey.length !== 32) secretsKey = DEVELOPMENT_SECRETS_KEY;
  if (env.ALLOW_PRIVATE_TARGETS) {
    warnings.push('ALLOW_PRIVATE_TARGETS is on: tasks may call loopback, private, link-local and cloud metadata addresses');
  }

  return {
    env: env.NODE_ENV,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    embedded: env.EMBEDDED,
    dataDir: env.DATA_DIR,
    queuePrefix: env.QUEUE_PREFIX,
    // Chosen by configuration only, never by what answers: every process of a deployment must use the same queue.
    queueBackend: env.QUEUE_BACKEND ?? (env.EMBEDDED ? 'postgres' : 'redis'),
    host: env.HOST,
    port: env.PORT,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    trustProxy: trustProxy!,
    corsOrigins: corsOrigins!,
    limits: {
      rateLimitMax: env.RATE_LIMIT_MAX,
      authRateLimitMax: env.AUTH_RATE_LIMIT_MAX,
      maxTasksPerUser: env.MAX_TASKS_PER_USER,
      minCronIntervalSeconds: env.MIN_CRON_INTERVAL_SECONDS,
    },
    workerConcurrency: env.WORKER_CONCURRENCY,
    userConcurrency: env.USER_CONCURRENCY,
    misfireGraceMs: env.MISFIRE_GRACE_MS,
    workerHttpPort: env.WORKER_HTTP_PORT,
    jwtSecret,
    jwtExpiresIn: env.JWT_EXPIRES_IN,
    admin: env.ADMIN_EMAIL && env.ADMIN_PASSWORD ? { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD } : null,
    allowRegistration: env.ALLOW_REGISTRATION,
    defaults: {
      timeoutMs: env.REQUEST_TIMEOUT_MS,
      maxRetries: env.MAX_RETRIES,
      retryDelayMs: env.RETRY_DELAY_MS,
      retryMaxDelayMs: env.RETRY_MAX_DELAY_MS,
    },
    responseBodyLimitBytes: env.RESPONSE_BODY_LIMIT_BYTES,
    allowPrivateTargets: env.ALLOW_PRIVATE_TARGETS,
    reconcileIntervalMs: env.RECONCILE_INTERVAL_MS,
    leaseMarginMs: env.LEASE_MARGIN_MS,
    logRetentionDays: env.LOG_RETENTION_DAYS,
    secretsKey,
    secretsKeyPrevious: env.SECRETS_KEY_PREVIOUS ? Buffer.from(env.SECRETS_KEY_PREVIOUS, 'base64') : null,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT ?? (env.NODE_ENV === 'development' ? 'pretty' : 'json'),
    bullBoardReadOnly: env.BULL_BOARD_READ_ONLY,
    email: {
      smtpUrl: env.SMTP_URL ?? null,
      from: env.EMAIL_FROM,
      publicUrl: publicUrl ?? null,
      allowedDomains: notifyEmailDomains ?? [],
    },
    tracing: {
      otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT ?? null,
      serviceName: env.OTEL_SERVICE_NAME ?? null,
      exportDelayMs: env.OTEL_BSP_SCHEDULE_DELAY,
    },
    warnings,
  };
}

/** NOTIFY_EMAIL_DOMAINS: lower-case domain names, without duplicates; none when unset. */
function parseEmailDomains(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [];
  const domains = value.split(',').map((domain) => domain.trim().toLowerCase().replace(/^@/, ''));
  for (const domain of domains) {
    if (!/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(domain)) {
      throw new Error(`"${domain}" is not a domain name (give names like example.com, comma-separated)`);
    }
  }
  return [...new Set(domains)];
}

/** PUBLIC_URL without a trailing slash, so a path can be appended. */
function parseBaseUrl(value: string | undefined): string | null {
  if (value === undefined) return null;
  const url = new URL(value);
  if (url.search || url.hash) throw new Error('must be a base address without ?query or #fragment');
  return url.href.replace(/\/+$/, '');
}

/** The value `parse` returns, or undefined after adding its error's message as the variable's problem. */
function parsed<T>(name: string, parse: () => T, problems: string[]): T | undefined {
  try {
    return parse();
  } catch (error) {
    problems.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** Reads `.env` from the working directory when present (the real environment wins), then parses. */
export function readConfig(path = '.env'): Config {
  return loadConfig(readEnvironment(path));
}

/** The variables `readConfig` parses: `.env` (when present) overlaid with the real environment. */
export function readEnvironment(path = '.env'): Record<string, string | undefined> {
  const fromFile = existsSync(path) ? parseEnv(readFileSync(path, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}
