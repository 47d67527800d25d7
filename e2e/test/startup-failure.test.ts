import { runMigrate, startApi, startWorker, startFailure, useTestEnvironment } from '@punctual/testing';
import { describe, expect, it } from 'vitest';

const CLOSED_POSTGRES = 'postgres://postgres@127.0.0.1:1/x';
const CLOSED_REDIS = 'redis://127.0.0.1:1';

const postgresDown = {
  broken: { DATABASE_URL: CLOSED_POSTGRES },
  line: /^Postgres is not answering at 127\.0\.0\.1:1 \(DATABASE_URL\): connect ECONNREFUSED 127\.0\.0\.1:1\. Start it \(.+\) or set DATABASE_URL\.$/,
};
const redisDown = {
  broken: { REDIS_URL: CLOSED_REDIS },
  line: /^Redis is not answering at 127\.0\.0\.1:1 \(REDIS_URL\): connect ECONNREFUSED 127\.0\.0\.1:1\. Start it \(.+\) or set REDIS_URL\.$/,
};

// A process that cannot reach a dependency at start says so in one line an operator can act on, and exits.
describe.concurrent('starting without a dependency', () => {
  const environment = useTestEnvironment();

  it.for([
    { name: 'the API', start: startApi, dependency: 'Postgres', ...postgresDown },
    { name: 'the API', start: startApi, dependency: 'Redis', ...redisDown },
    { name: 'a worker', start: startWorker, dependency: 'Redis', ...redisDown },
    { name: 'a worker', start: startWorker, dependency: 'Postgres', ...postgresDown },
  ])('$name exits non-zero with one line naming $dependency, its address and how to start it', async ({ start, broken, line }) => {
    const { exit, output, timeoutMs } = await startFailure(() => start({ ...environment().processEnv, ...broken }));
    expect(timeoutMs, output).toBeNull();
    expect(exit.code, output).not.toBe(0);
    expect(exit.code, output).not.toBeNull();
    const lines = output.trim().split('\n');
    expect(lines, output).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(output).not.toMatch(/^\s+at /m);
  });

  it('migrations exit non-zero with the same one line when Postgres is down', async () => {
    const { code, output } = await runMigrate({ ...environment().processEnv, ...postgresDown.broken });
    expect(code, output).toBe(1);
    expect(output.trim().split('\n'), output).toHaveLength(1);
    expect(output.trim()).toMatch(postgresDown.line);
  });

  it('migrations on an up-to-date database change nothing and exit 0', async () => {
    const { code, output } = await runMigrate(environment().processEnv);
    expect(code, output).toBe(0);
    expect(output.trim()).toBe('database schema is up to date');
  });
});

// ADMIN_EMAIL must not promote whoever registered that email first: the API refuses to start, and says why.
describe('starting with an ADMIN_EMAIL that belongs to a user', () => {
  const environment = useTestEnvironment();

  it('the API exits 1 with one line saying it will not promote the account, printing no password, and changes nothing', async () => {
    const email = 'squatter@example.com';
    const password = 'operator-admin-password-42';
    await environment().db.insertInto('users').values({ email, password_hash: 'scrypt$1$1$1$x$y', role: 'user' }).execute();

    const { exit, output, timeoutMs } = await startFailure(() =>
      startApi({ ...environment().processEnv, ADMIN_EMAIL: email, ADMIN_PASSWORD: password }),
    );
    expect(timeoutMs, output).toBeNull();
    expect(exit.code, output).toBe(1);
    const lines = output.trim().split('\n');
    expect(lines, output).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^ADMIN_EMAIL squatter@example\.com belongs to an existing account that is not an admin; refusing to promote it\./,
    );
    expect(output).not.toContain(password);
    const row = await environment()
      .db.selectFrom('users')
      .select(['role', 'password_hash'])
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ role: 'user', password_hash: 'scrypt$1$1$1$x$y' });
  });
});

// Not among the concurrent cases above: one more process starting at once only slows them all on a small machine.
describe('starting with weak production secrets', () => {
  const weakEnvironment = useTestEnvironment();

  it('the API refuses weak production secrets naming each variable, and never prints their values', async () => {
    const weak = { JWT_SECRET: 'REPLACE_ME_with_at_least_32_random_characters', SECRETS_KEY: Buffer.alloc(32).toString('base64') };
    const { exit, output, timeoutMs } = await startFailure(() =>
      startApi({ ...weakEnvironment().processEnv, NODE_ENV: 'production', ...weak }),
    );
    expect(timeoutMs, output).toBeNull();
    expect(exit.code, output).toBe(1);
    expect(output).toMatch(/^ {2}- JWT_SECRET: is a placeholder/m);
    expect(output).toMatch(/^ {2}- SECRETS_KEY: decodes to fewer than 16 distinct bytes/m);
    for (const value of Object.values(weak)) expect(output).not.toContain(value);
    expect(output).not.toMatch(/^\s+at /m);
  });
});
