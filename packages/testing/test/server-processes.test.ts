import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { withRedis } from '@punctual/queue';
import { queryOnce } from '@punctual/db';
import { describe, expect, it } from 'vitest';
import { postgresServerAvailable, startPostgresServer, startRedisServer } from '../src/server-processes.js';
import { useFixture } from '../src/use-fixture.js';

/** 'open' when something listens on the port, else the connection's error code. */
function probePort(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve('open');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function query<T>(databaseUrl: string, sql: string): Promise<T[]> {
  return queryOnce<T>(databaseUrl, sql, { connectTimeoutMs: 2_000 });
}

describe('startRedisServer', () => {
  const redis = useFixture(
    () => startRedisServer(),
    (server) => server.stop(),
  );

  it('comes back empty on the same port after a restart', async () => {
    await withRedis(redis().url, (client) => client.set('survives', 'no'));

    await redis().restart();

    expect(redis().url).toBe(`redis://127.0.0.1:${redis().port}`);
    expect(await withRedis(redis().url, (client) => client.get('survives'))).toBeNull();
  });

  it('refuses connections once killed, and answers again after a restart', async () => {
    await redis().kill();

    expect(await probePort(redis().port)).toBe('ECONNREFUSED');

    await redis().restart();
    expect(await withRedis(redis().url, (client) => client.ping())).toBe('PONG');
  });

  it('empties every database on flushAll', async () => {
    await withRedis(redis().url, async (client) => {
      await client.set('in-db-0', '1');
      await client.select(3);
      await client.set('in-db-3', '1');
    });

    await redis().flushAll();

    expect(await withRedis(redis().url, (client) => client.dbsize())).toBe(0);
    expect(await withRedis(`${redis().url}/3`, (client) => client.dbsize())).toBe(0);
  });
});

describe.skipIf(!postgresServerAvailable())('startPostgresServer (skipped without local Postgres binaries)', () => {
  const postgres = useFixture(
    () => startPostgresServer(),
    (server) => server.remove(),
  );

  it('keeps committed rows across a restart on the same port', async () => {
    await query(postgres().url, 'CREATE TABLE survivors (name text); INSERT INTO survivors VALUES ($$row$$)');

    await postgres().restart();

    expect(postgres().url).toBe(`postgres://postgres@127.0.0.1:${postgres().port}/postgres`);
    expect(await query(postgres().url, 'SELECT name FROM survivors')).toEqual([{ name: 'row' }]);
  });

  it('refuses connections once stopped', async () => {
    await postgres().stop();

    await expect(query(postgres().url, 'SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await postgres().restart();
  });

  it('recovers committed rows after a kill', async () => {
    await query(postgres().url, 'CREATE TABLE crashed (n int); INSERT INTO crashed VALUES (1)');

    await postgres().kill();
    await expect(query(postgres().url, 'SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await postgres().restart();

    expect(await query(postgres().url, 'SELECT n FROM crashed')).toEqual([{ n: 1 }]);
  });

  it('points databaseUrl at another database on the same server', async () => {
    await query(postgres().url, 'CREATE DATABASE fault_suite');

    expect(await query(postgres().databaseUrl('fault_suite'), 'SELECT current_database() AS name')).toEqual([{ name: 'fault_suite' }]);
  });

  it('deletes its directory on remove', async () => {
    const other = await startPostgresServer();
    expect(existsSync(other.dataDir)).toBe(true);

    await other.remove();

    expect(existsSync(other.dataDir)).toBe(false);
    await expect(query(other.url, 'SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
