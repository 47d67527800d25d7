import { existsSync } from 'node:fs';
import { postgresAnswers } from '@punctual/db';
import { redisAnswers, withRedis } from '@punctual/queue';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../src/free-port.js';
import { findTestServices, MissingTestServiceError } from '../src/test-services.js';

// Each case points the search at loopback ports nothing listens on, so that nothing answers there; the shared
// Postgres and Redis are only read from.
async function unusedUrls(): Promise<{ databaseUrl: string; redisUrl: string }> {
  return {
    databaseUrl: `postgres://postgres@127.0.0.1:${await freePort()}/postgres`,
    redisUrl: `redis://127.0.0.1:${await freePort()}`,
  };
}

describe('findTestServices', () => {
  it('uses the servers that answer and starts nothing', async () => {
    const services = await findTestServices({ databaseUrl: inject('databaseUrl'), redisUrl: inject('redisUrl'), containers: false });
    expect(services).toMatchObject({ databaseUrl: inject('databaseUrl'), redisUrl: inject('redisUrl'), started: [] });
    await services.stop();
  });

  it('starts an embedded Postgres and a redis-server when nothing answers and no container runtime is there', async () => {
    const services = await findTestServices({ ...(await unusedUrls()), containers: false, redisServer: true });
    try {
      expect(services.started).toEqual(['embedded Postgres', 'redis-server']);
      const client = new pg.Client({ connectionString: services.databaseUrl });
      await client.connect();
      const { rows } = await client.query<{ version: string }>('SELECT version()');
      await client.end();
      expect(rows[0]!.version).toMatch(/^PostgreSQL 18\./);
      expect(await withRedis(services.redisUrl, (redis) => redis.ping())).toBe('PONG');
    } finally {
      await services.stop();
    }
    expect(await postgresAnswers(services.databaseUrl, 1_000)).toBe(false);
    expect(await redisAnswers(services.redisUrl, 1_000)).toBe(false);
  });

  it('removes the embedded Postgres with its temporary directory when stopped', async () => {
    const { databaseUrl } = await unusedUrls();
    const services = await findTestServices({ databaseUrl, redisUrl: inject('redisUrl'), containers: false });
    expect(services.started).toEqual(['embedded Postgres']);
    const client = new pg.Client({ connectionString: services.databaseUrl });
    await client.connect();
    const { rows } = await client.query<{ dir: string }>("SELECT current_setting('data_directory') AS dir");
    await client.end();
    expect(existsSync(rows[0]!.dir)).toBe(true);
    await services.stop();
    expect(existsSync(rows[0]!.dir)).toBe(false);
  });

  it('says in one line what is missing and how to get it when Redis cannot be started', async () => {
    const { redisUrl } = await unusedUrls();
    const attempt = findTestServices({ databaseUrl: inject('databaseUrl'), redisUrl, containers: false, redisServer: false });
    const error = await attempt.then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(MissingTestServiceError);
    const { message } = error as Error;
    expect(message).not.toContain('\n');
    expect(message).toContain(`nothing answers at ${new URL(redisUrl).host}`);
    expect(message).toMatch(/no container runtime \(Docker\).*no redis-server is installed; install one \(apt-get install redis-server/);
  });
});
