import { createServer, type AddressInfo, type Server } from 'node:net';
import { chooseBackends, EmbeddedPostgresError } from '@punctual/embedded';
import { ConfigError } from '@punctual/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A loopback port that accepts connections (a stand-in for a server that answers) or one nothing listens on. */
async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

async function unusedPort(): Promise<number> {
  const { server, port } = await listening();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('chooseBackends', () => {
  let up: { server: Server; port: number };
  let upAlso: { server: Server; port: number };
  let down: number;
  let downAlso: number;
  const at = (port: number) => ({ host: '127.0.0.1', port });

  beforeAll(async () => {
    [up, upAlso, down, downAlso] = await Promise.all([listening(), listening(), unusedPort(), unusedPort()]);
  });
  afterAll(() => {
    up.server.close();
    upAlso.server.close();
  });

  it('runs the embedded Postgres when nothing is configured and nothing answers at the default addresses', async () => {
    const choice = await chooseBackends({}, { postgres: at(down), redis: at(downAlso) });
    expect(choice).toEqual({
      embedded: true,
      reason: `no DATABASE_URL or REDIS_URL, and nothing answers at 127.0.0.1:${down} (Postgres) or 127.0.0.1:${downAlso} (Redis)`,
    });
  });

  it('uses the servers at the default addresses when both answer', async () => {
    expect(await chooseBackends({}, { postgres: at(up.port), redis: at(upAlso.port) })).toEqual({ embedded: false });
  });

  it('needs no Redis for QUEUE_BACKEND=postgres: a Postgres answering is enough, and none means the embedded one', async () => {
    const source = { QUEUE_BACKEND: 'postgres' };
    expect(await chooseBackends(source, { postgres: at(up.port), redis: at(down) })).toEqual({ embedded: false });
    expect(await chooseBackends(source, { postgres: at(down), redis: at(up.port) })).toMatchObject({
      embedded: true,
      reason: `no DATABASE_URL or REDIS_URL, and nothing answers at 127.0.0.1:${down} (Postgres)`,
    });
  });

  it.each([
    ['Postgres', 'Redis'],
    ['Redis', 'Postgres'],
  ])('stops with one line when only %s answers: a server setup with one server down is not hidden', async (answering, silent) => {
    const ports = answering === 'Postgres' ? { postgres: at(up.port), redis: at(down) } : { postgres: at(down), redis: at(up.port) };
    const error = await chooseBackends({}, ports).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(EmbeddedPostgresError);
    const { message } = error as Error;
    expect(message).not.toContain('\n');
    expect(message).toMatch(new RegExp(`^${answering} answers at 127\\.0\\.0\\.1:\\d+ but ${silent} does not at 127\\.0\\.0\\.1:\\d+: `));
    expect(message).toContain('EMBEDDED=true');
  });

  it('runs the embedded Postgres on EMBEDDED=true whatever answers, and refuses it beside a DATABASE_URL', async () => {
    expect(await chooseBackends({ EMBEDDED: 'true' }, { postgres: at(up.port), redis: at(upAlso.port) })).toEqual({
      embedded: true,
      reason: 'EMBEDDED=true',
    });
    // A Redis queue beside it is a choice the operator may make.
    expect(await chooseBackends({ EMBEDDED: 'true', REDIS_URL: 'redis://127.0.0.1:6379', QUEUE_BACKEND: 'redis' })).toMatchObject({
      embedded: true,
    });
    await expect(chooseBackends({ EMBEDDED: 'true', DATABASE_URL: 'postgres://db.internal/punctual' })).rejects.toThrow(
      /^EMBEDDED=true runs its own Postgres, but DATABASE_URL is set too: /,
    );
  });

  it.each([{ EMBEDDED: 'false' }, { DATABASE_URL: 'postgres://db.internal/punctual' }, { REDIS_URL: 'redis://cache.internal:6379' }])(
    'probes nothing and uses the configured servers with %o, even when nothing answers',
    async (source) => {
      expect(await chooseBackends(source, { postgres: at(down), redis: at(downAlso) })).toEqual({ embedded: false });
    },
  );

  it('stops on an invalid EMBEDDED, naming it', async () => {
    await expect(chooseBackends({ EMBEDDED: 'maybe' })).rejects.toBeInstanceOf(ConfigError);
    await expect(chooseBackends({ EMBEDDED: 'maybe' })).rejects.toThrow(/EMBEDDED: /);
  });
});
