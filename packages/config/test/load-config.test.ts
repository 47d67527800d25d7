import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@punctual/config';
import { describe, expect, it } from 'vitest';

const STRONG_JWT_SECRET = randomBytes(48).toString('base64');
const STRONG_SECRETS_KEY = randomBytes(32);

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies the contract defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/punctual',
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'punctual',
      queueBackend: 'redis',
      host: '0.0.0.0',
      port: 3000,
      bodyLimitBytes: 1_048_576,
      workerConcurrency: 50,
      workerHttpPort: 9464,
      jwtExpiresIn: '1h',
      admin: null,
      allowRegistration: true,
      defaults: { timeoutMs: 10_000, maxRetries: 3, retryDelayMs: 10_000, retryMaxDelayMs: 3_600_000 },
      responseBodyLimitBytes: 65_536,
      trustProxy: false,
      corsOrigins: [],
      limits: { rateLimitMax: 600, authRateLimitMax: 30, maxTasksPerUser: 100_000, minCronIntervalSeconds: 1 },
      allowPrivateTargets: false,
      logLevel: 'info',
      logFormat: 'pretty',
      bullBoardReadOnly: true,
    });
    expect(config.secretsKey).toHaveLength(32);
    expect(config.jwtSecret.length).toBeGreaterThanOrEqual(32);
  });

  it.each([
    [{}, 'pretty'],
    [{ NODE_ENV: 'development' }, 'pretty'],
    [{ NODE_ENV: 'test' }, 'json'],
    [{ NODE_ENV: 'production', JWT_SECRET: STRONG_JWT_SECRET, SECRETS_KEY: STRONG_SECRETS_KEY.toString('base64') }, 'json'],
    [{ NODE_ENV: 'development', LOG_FORMAT: 'json' }, 'json'],
    [{ NODE_ENV: 'test', LOG_FORMAT: 'pretty' }, 'pretty'],
  ])('picks the log format from LOG_FORMAT, else pretty only in development (%o)', (env, format) => {
    expect(loadConfig(env).logFormat).toBe(format);
  });

  it('makes the Bull Board read-only unless BULL_BOARD_READ_ONLY=false', () => {
    expect(loadConfig({ BULL_BOARD_READ_ONLY: 'true' }).bullBoardReadOnly).toBe(true);
    expect(loadConfig({ BULL_BOARD_READ_ONLY: 'false' }).bullBoardReadOnly).toBe(false);
  });

  it('warns in development when JWT_SECRET and SECRETS_KEY are missing', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).warnings).toEqual([
      expect.stringMatching(/^JWT_SECRET/),
      expect.stringMatching(/^SECRETS_KEY/),
    ]);
  });

  it('runs as development when NODE_ENV is unset, warning first and loudly that production must set it', () => {
    const config = loadConfig({ JWT_SECRET: 'j'.repeat(32), SECRETS_KEY: Buffer.alloc(32, 7).toString('base64') });
    expect(config.env).toBe('development');
    expect(config.warnings).toEqual([expect.stringMatching(/^NODE_ENV is not set: running in DEVELOPMENT mode.*NODE_ENV=production/)]);
  });

  it('turns the address guard off only on ALLOW_PRIVATE_TARGETS=true, with a warning', () => {
    const config = loadConfig({ ALLOW_PRIVATE_TARGETS: 'true', NODE_ENV: 'test' });
    expect(config.allowPrivateTargets).toBe(true);
    expect(config.warnings).toEqual([expect.stringMatching(/^ALLOW_PRIVATE_TARGETS is on: tasks may call loopback, private/)]);
    expect(loadConfig({ ALLOW_PRIVATE_TARGETS: 'false', NODE_ENV: 'test' })).toMatchObject({ allowPrivateTargets: false, warnings: [] });
  });

  it('converts numbers and booleans from their text', () => {
    const config = loadConfig({ PORT: '8080', ALLOW_REGISTRATION: 'false', MAX_RETRIES: '0', WORKER_HTTP_PORT: '0' });
    expect(config).toMatchObject({ port: 8080, allowRegistration: false, defaults: { maxRetries: 0 }, workerHttpPort: 0 });
  });

  it('reads EMBEDDED and DATA_DIR: off and .data by default', () => {
    expect(loadConfig({})).toMatchObject({ embedded: false, dataDir: '.data' });
    expect(loadConfig({ EMBEDDED: 'true', DATA_DIR: '/var/lib/punctual' })).toMatchObject({ embedded: true, dataDir: '/var/lib/punctual' });
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ PORT: '' }).port).toBe(3000);
  });

  it.each([
    [{ PORT: 'abc' }, /^PORT: /],
    [{ PORT: '70000' }, /^PORT: /],
    [{ MAX_RETRIES: '26' }, /^MAX_RETRIES: /],
    [{ WORKER_CONCURRENCY: '0' }, /^WORKER_CONCURRENCY: /],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: /],
    [{ REDIS_URL: 'http://x' }, /^REDIS_URL: /],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent$/],
    [{ LOG_FORMAT: 'xml' }, /^LOG_FORMAT: must be one of json, pretty$/],
    [{ BULL_BOARD_READ_ONLY: 'sometimes' }, /^BULL_BOARD_READ_ONLY: /],
    [{ NODE_ENV: 'staging' }, /^NODE_ENV: /],
    [{ ALLOW_REGISTRATION: 'maybe' }, /^ALLOW_REGISTRATION: /],
    [{ ALLOW_PRIVATE_TARGETS: 'yes please' }, /^ALLOW_PRIVATE_TARGETS: /],
    [{ EMBEDDED: 'sometimes' }, /^EMBEDDED: /],
    [{ JWT_SECRET: 'short' }, /^JWT_SECRET: /],
    [{ SECRETS_KEY: 'not-base64' }, /^SECRETS_KEY: /],
    [{ SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'), SECRETS_KEY_PREVIOUS: 'short' }, /^SECRETS_KEY_PREVIOUS: /],
    [{ SECRETS_KEY_PREVIOUS: Buffer.alloc(32, 1).toString('base64') }, /^SECRETS_KEY_PREVIOUS: set only beside/],
    [
      { SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'), SECRETS_KEY_PREVIOUS: Buffer.alloc(32, 1).toString('base64') },
      /^SECRETS_KEY_PREVIOUS: is the same key/,
    ],
    [{ JWT_EXPIRES_IN: 'forever' }, /^JWT_EXPIRES_IN: /],
    [{ QUEUE_PREFIX: 'a:b' }, /^QUEUE_PREFIX: /],
    // Too long and a bad character: still one line.
    [{ QUEUE_PREFIX: 'a:'.repeat(60) }, /^QUEUE_PREFIX: /],
    [{ ADMIN_EMAIL: 'admin@example.com' }, /^ADMIN_PASSWORD: /],
    [{ ADMIN_PASSWORD: 'long-enough' }, /^ADMIN_EMAIL: /],
    [{ RATE_LIMIT_MAX: '0' }, /^RATE_LIMIT_MAX: /],
    [{ AUTH_RATE_LIMIT_MAX: 'many' }, /^AUTH_RATE_LIMIT_MAX: /],
    [{ MAX_TASKS_PER_USER: '0' }, /^MAX_TASKS_PER_USER: /],
    [{ MIN_CRON_INTERVAL_SECONDS: '86401' }, /^MIN_CRON_INTERVAL_SECONDS: /],
    [{ TRUST_PROXY: 'proxy.internal' }, /^TRUST_PROXY: entry 1 is not/],
    [{ TRUST_PROXY: '10.0.0.0/33' }, /^TRUST_PROXY: entry 1 is not/],
    [{ CORS_ORIGINS: 'https://app.example.com/path' }, /^CORS_ORIGINS: entry 1 is not an origin/],
    [{ CORS_ORIGINS: 'https://a.example.com, app.example.com' }, /^CORS_ORIGINS: entry 2 is not an origin/],
  ])('stops on %o naming the variable, never printing its value', (env, message) => {
    const problems = problemsOf(env);
    expect(problems).toEqual([expect.stringMatching(message)]);
    for (const value of Object.values(env)) expect(problems[0]).not.toContain(value);
  });

  it('reads TRUST_PROXY as off, all, a hop count or a list of addresses and ranges', () => {
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 10.1.0.0/16,::1,fd00::/8, loopback' }).trustProxy).toEqual([
      '10.0.0.1',
      '10.1.0.0/16',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
  });

  it('reads CORS_ORIGINS as the origins browsers send', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com/, http://localhost:5173' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
  });

  it.each([
    [{}, 'redis'],
    [{ EMBEDDED: 'true' }, 'postgres'],
    [{ EMBEDDED: 'false' }, 'redis'],
    [{ QUEUE_BACKEND: 'postgres' }, 'postgres'],
    [{ QUEUE_BACKEND: 'redis', EMBEDDED: 'true' }, 'redis'],
  ])('reads QUEUE_BACKEND, postgres by default when EMBEDDED=true (%o → %s)', (env, backend) => {
    expect(loadConfig(env).queueBackend).toBe(backend);
  });

  it('refuses a QUEUE_BACKEND it does not know, naming it', () => {
    expect(problemsOf({ QUEUE_BACKEND: 'kafka' })).toEqual(['QUEUE_BACKEND: must be one of redis, postgres']);
  });

  it('turns tracing on only with OTEL_EXPORTER_OTLP_ENDPOINT, and refuses one that is not an http(s) URL', () => {
    expect(loadConfig({}).tracing).toEqual({ otlpEndpoint: null, serviceName: null, exportDelayMs: 5_000 });
    const on = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'api-eu', OTEL_BSP_SCHEDULE_DELAY: '200' };
    expect(loadConfig(on).tracing).toEqual({ otlpEndpoint: 'http://collector:4318', serviceName: 'api-eu', exportDelayMs: 200 });
    expect(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toEqual([
      expect.stringMatching(/^OTEL_EXPORTER_OTLP_ENDPOINT: /),
    ]);
  });

  it('reads the limits', () => {
    expect(
      loadConfig({ RATE_LIMIT_MAX: '5', AUTH_RATE_LIMIT_MAX: '2', MAX_TASKS_PER_USER: '3', MIN_CRON_INTERVAL_SECONDS: '60' }).limits,
    ).toEqual({ rateLimitMax: 5, authRateLimitMax: 2, maxTasksPerUser: 3, minCronIntervalSeconds: 60 });
  });

  it('lists every invalid variable at once, one line each', () => {
    expect(
      problemsOf({ PORT: 'x', MAX_RETRIES: 'y', LOG_LEVEL: 'z' })
        .map((p) => p.split(':')[0])
        .sort(),
    ).toEqual(['LOG_LEVEL', 'MAX_RETRIES', 'PORT']);
  });

  it('requires JWT_SECRET and SECRETS_KEY in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' }).map((p) => p.split(':')[0])).toEqual(['JWT_SECRET', 'SECRETS_KEY']);
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: STRONG_JWT_SECRET,
      SECRETS_KEY: STRONG_SECRETS_KEY.toString('base64'),
    });
    expect(config.secretsKey).toEqual(STRONG_SECRETS_KEY);
    expect(config.warnings).toEqual([]);
  });

  it.each([
    ['shorter than 32 characters', 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA', /32/],
    ['one repeated character', 'x'.repeat(64), /fewer than 8 distinct characters/],
    ['a short repeated pattern', 'abcabc'.repeat(8), /fewer than 8 distinct characters/],
    ['the Kubernetes template placeholder', 'REPLACE_ME_with_at_least_32_random_characters', /placeholder/],
    ['a changeme variant', 'changeme-changeme-changeme-changeme', /placeholder/],
  ])('refuses a JWT_SECRET that is %s in production, without printing it', (_what, secret, reason) => {
    const problems = problemsOf({ NODE_ENV: 'production', JWT_SECRET: secret, SECRETS_KEY: STRONG_SECRETS_KEY.toString('base64') });
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^JWT_SECRET: .*${reason.source}`))]);
    expect(problems[0]).not.toContain(secret);
  });

  it.each([
    ['all zero', Buffer.alloc(32, 0).toString('base64')],
    ['one repeated byte', Buffer.alloc(32, 0xab).toString('base64')],
    ['a two-byte pattern', Buffer.alloc(32, Buffer.from([1, 2])).toString('base64')],
    ['the public development key', loadConfig({ NODE_ENV: 'development' }).secretsKey.toString('base64')],
  ])('refuses a SECRETS_KEY that is %s in production, without printing it', (_what, key) => {
    const problems = problemsOf({ NODE_ENV: 'production', JWT_SECRET: STRONG_JWT_SECRET, SECRETS_KEY: key });
    expect(problems).toEqual([expect.stringMatching(/^SECRETS_KEY: /)]);
    expect(problems[0]).not.toContain(key);
  });

  it.each([
    ['the Kubernetes template placeholder', 'REPLACE_ME', /placeholder/],
    ['a changeme variant', 'changeme-admin-2026', /placeholder/],
    ['shorter than 12 characters', 'Tr0ub4dor&3', /shorter than 12/],
  ])('refuses an ADMIN_PASSWORD that is %s in production, without printing it', (_what, password, reason) => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      JWT_SECRET: STRONG_JWT_SECRET,
      SECRETS_KEY: STRONG_SECRETS_KEY.toString('base64'),
      ADMIN_EMAIL: 'admin@example.com',
      ADMIN_PASSWORD: password,
    });
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^ADMIN_PASSWORD: .*${reason.source}`))]);
    expect(problems[0]).not.toContain(password);
  });

  it('accepts a long random ADMIN_PASSWORD in production', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: STRONG_JWT_SECRET,
      SECRETS_KEY: STRONG_SECRETS_KEY.toString('base64'),
      ADMIN_EMAIL: 'admin@example.com',
      ADMIN_PASSWORD: 'k7#Qv9!mZp2$Lx4w',
    });
    expect(config.admin).toEqual({ email: 'admin@example.com', password: 'k7#Qv9!mZp2$Lx4w' });
  });

  it('accepts weak secrets outside production (tests and development use fixed ones)', () => {
    expect(problemsOf({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(32), SECRETS_KEY: Buffer.alloc(32).toString('base64') })).toEqual([]);
  });

  it('reads SECRETS_KEY_PREVIOUS beside SECRETS_KEY, and none by default', () => {
    const config = loadConfig({
      SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
      SECRETS_KEY_PREVIOUS: Buffer.alloc(32, 6).toString('base64'),
    });
    expect(config.secretsKey).toEqual(Buffer.alloc(32, 7));
    expect(config.secretsKeyPrevious).toEqual(Buffer.alloc(32, 6));
    expect(loadConfig({}).secretsKeyPrevious).toBeNull();
  });

  it('bootstraps an admin only when both ADMIN_EMAIL and ADMIN_PASSWORD are set', () => {
    expect(loadConfig({ ADMIN_EMAIL: 'a@b.co', ADMIN_PASSWORD: 'password1' }).admin).toEqual({ email: 'a@b.co', password: 'password1' });
  });
});

describe('readConfig', () => {
  it('reads .env when present, and the real environment wins', async () => {
    const { readConfig } = await import('@punctual/config');
    const path = join(mkdtempSync(join(tmpdir(), 'punctual-env-')), '.env');
    writeFileSync(path, 'PORT=4100\nQUEUE_PREFIX=from-file\n');
    const previous = process.env.QUEUE_PREFIX;
    process.env.QUEUE_PREFIX = 'from-env';
    try {
      expect(readConfig(path)).toMatchObject({ port: 4100, queuePrefix: 'from-env' });
    } finally {
      if (previous === undefined) delete process.env.QUEUE_PREFIX;
      else process.env.QUEUE_PREFIX = previous;
    }
  });
});
