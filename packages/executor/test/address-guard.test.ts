import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { LookupAddress } from 'node:dns';
import { Resolver as DnsResolver } from 'node:dns/promises';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BlockedAddressError,
  checkAddress,
  createDnsCache,
  createExecutor,
  createGuardedLookup,
  createOutboundAgent,
  ipAddressOf,
  type Executor,
  type Resolver,
} from '../src/index.js';

// The check itself is pure and tested on every range and spelling without dialling anything. Live calls go only to
// loopback listeners that count connections: a refused call must leave them at zero.

describe('checkAddress: the ranges it blocks', () => {
  it.each([
    // IPv4: first and last address of each range
    ['0.0.0.0', 'this network'],
    ['0.255.255.255', 'this network'],
    ['10.0.0.0', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.0', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['100.100.100.200', 'carrier-grade NAT'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.0.1', 'link-local'],
    ['169.254.255.255', 'link-local'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.0', 'reserved (IETF protocol assignments)'],
    ['192.0.0.255', 'reserved (IETF protocol assignments)'],
    ['192.0.2.1', 'documentation'],
    ['192.88.99.1', 'reserved (6to4 relay anycast)'],
    ['192.168.0.0', 'private'],
    ['192.168.255.255', 'private'],
    ['198.18.0.0', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.0', 'reserved'],
    ['254.255.255.255', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    // IPv6
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fc00::1', 'unique local (private)'],
    ['fd00:ec2::254', 'unique local (private)'],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'unique local (private)'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fec0::1', 'site-local (deprecated)'],
    ['ff02::1', 'multicast'],
    ['ff0e::1', 'multicast'],
    ['100::1', 'discard'],
    ['64:ff9b:1::1', 'NAT64 (local use)'],
    ['2001::1', 'Teredo'],
    ['2001:2::1', 'benchmarking'],
    ['2001:10::1', 'reserved (IETF protocol assignments)'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    // Outside global unicast (2000::/3): IPv4-compatible, IPv4-translated, unassigned
    ['::7f00:1', 'reserved'],
    ['::ffff:0:7f00:1', 'reserved'],
    ['4000::1', 'reserved'],
    ['5f00::1', 'reserved'],
    // IPv6 addresses that carry an IPv4 one are judged by it
    ['::ffff:127.0.0.1', 'loopback 127.0.0.1, IPv4-mapped'],
    ['::ffff:a9fe:a9fe', 'link-local (cloud metadata) 169.254.169.254, IPv4-mapped'],
    ['::ffff:10.1.2.3', 'private 10.1.2.3, IPv4-mapped'],
    ['64:ff9b::127.0.0.1', 'loopback 127.0.0.1, NAT64'],
    ['64:ff9b::c0a8:101', 'private 192.168.1.1, NAT64'],
    ['2002:7f00:1::', 'loopback 127.0.0.1, 6to4'],
    ['2002:a00:1::1', 'private 10.0.0.1, 6to4'],
  ])('blocks %s as %s', (address, range) => {
    expect(checkAddress(address)?.range).toBe(range);
  });

  it.each([
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0', '0.0.0.0'],
    ['0x0', '0.0.0.0'],
    ['[::1]', '::1'],
    ['[0:0:0:0:0:0:0:1]', '::1'],
    ['0000::0001', '::1'],
    ['[::ffff:7f00:1]', '::ffff:7f00:1'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['[::]', '::'],
    ['169.254.43518', '169.254.169.254'],
    ['0xa9fea9fe', '169.254.169.254'],
    ['0x0a.0.0.1', '10.0.0.1'],
    ['3232235777', '192.168.1.1'],
    ['[FE80::1]', 'fe80::1'],
  ])('reads the spelling %s as %s and blocks it', (spelling, address) => {
    expect(ipAddressOf(spelling)).toBe(address);
    expect(checkAddress(spelling)).toMatchObject({ address });
  });

  it.each([
    '1.0.0.0',
    '8.8.8.8',
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '126.255.255.255',
    '128.0.0.0',
    '169.253.255.255',
    '169.255.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.0.1.0',
    '192.167.255.255',
    '192.169.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001::200e',
    '2001:200::1',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
    '134744072',
  ])('lets the public address %s through', (address) => {
    expect(checkAddress(address)).toBeNull();
  });

  it.each(['localhost', 'example.com', '999.1.1.1', '1.2.3.4.5', ''])('does not read the host name %j as an address', (host) => {
    expect(ipAddressOf(host)).toBeNull();
    // A resolver's answer must be an address: anything else is refused.
    expect(checkAddress(host)?.range).toBe('not an IP address');
  });
});

/** A loopback listener that counts the connections it accepts. */
interface CountingListener {
  port: number;
  connections: number;
  close(): Promise<void>;
}

async function countingListener(host: string): Promise<CountingListener> {
  const server: Server = createServer((_req, res) => res.end('reached'));
  const listener = { port: 0, connections: 0, close: () => closeServer(server) };
  server.on('connection', () => listener.connections++);
  server.listen(0, host);
  await once(server, 'listening');
  listener.port = (server.address() as AddressInfo).port;
  return listener;
}

async function closeServer(server: Server): Promise<void> {
  const closed = once(server, 'close');
  server.close();
  server.closeAllConnections();
  await closed;
}

async function ipv6LoopbackAvailable(): Promise<boolean> {
  const server = createServer();
  try {
    server.listen(0, '::1');
    await once(server, 'listening');
    await closeServer(server);
    return true;
  } catch {
    return false;
  }
}

const hasIpv6 = await ipv6LoopbackAvailable();

describe('calls to loopback', () => {
  let v4: CountingListener;
  let v6: CountingListener | undefined;
  let guarded: Executor;

  beforeAll(async () => {
    v4 = await countingListener('127.0.0.1');
    if (hasIpv6) v6 = await countingListener('::1');
    guarded = createExecutor({ responseBodyLimitBytes: 1024, userAgent: 'punctual/test' });
  });

  afterAll(async () => {
    await guarded?.close();
    await v4?.close();
    await v6?.close();
  });

  const forms: Array<[string, (port: number) => string, string, boolean]> = [
    ['127.0.0.1', (port) => `http://127.0.0.1:${port}/x`, 'blocked address 127.0.0.1 (loopback)', false],
    ['127.1', (port) => `http://127.1:${port}/x`, 'blocked address 127.0.0.1 (loopback)', false],
    ['0x7f.1', (port) => `http://0x7f.1:${port}/x`, 'blocked address 127.0.0.1 (loopback)', false],
    ['2130706433', (port) => `http://2130706433:${port}/x`, 'blocked address 127.0.0.1 (loopback)', false],
    ['localhost', (port) => `http://localhost:${port}/x`, 'blocked address ', false],
    [
      '[::ffff:7f00:1]',
      (port) => `http://[::ffff:7f00:1]:${port}/x`,
      'blocked address ::ffff:7f00:1 (loopback 127.0.0.1, IPv4-mapped)',
      false,
    ],
    ['[::1]', (port) => `http://[::1]:${port}/x`, 'blocked address ::1 (loopback)', true],
  ];

  describe.each(forms)('to %s', (_name, urlFor, blockedError, overIpv6) => {
    const listener = (): CountingListener => (overIpv6 ? v6! : v4);

    it.skipIf(overIpv6 && !hasIpv6)('is refused by default: a failed attempt saying the address is blocked, nothing sent', async () => {
      const before = listener().connections;

      const result = await guarded.execute({ url: urlFor(listener().port), method: 'POST', headers: {}, body: 'x', timeoutMs: 5_000 });

      expect(result).toMatchObject({ outcome: 'failed', statusCode: null, responseBody: null, responseHeaders: {} });
      expect(result.error).toMatch(/^ERR_BLOCKED_ADDRESS blocked address /);
      expect(result.error).toContain(blockedError);
      expect(result.error).toMatch(/\(loopback/);
      expect(result.durationMs).toBeLessThan(5_000);
      expect(listener().connections - before).toBe(0);
    });

    it.skipIf(overIpv6 && !hasIpv6)('reaches the listener with allowPrivateTargets', async () => {
      // Its own Agent, so the call opens a connection of its own rather than reusing a kept-alive one.
      const open = createExecutor({ responseBodyLimitBytes: 1024, userAgent: 'punctual/test', allowPrivateTargets: true });
      try {
        const before = listener().connections;

        const result = await open.execute({ url: urlFor(listener().port), method: 'GET', headers: {}, timeoutMs: 5_000 });

        expect(result).toMatchObject({ outcome: 'succeeded', statusCode: 200, responseBody: 'reached' });
        expect(listener().connections - before).toBe(1);
      } finally {
        await open.close();
      }
    });
  });

  it('names the host name whose answer was blocked', async () => {
    const result = await guarded.execute({ url: `http://localhost:${v4.port}/`, method: 'GET', headers: {}, timeoutMs: 5_000 });

    expect(result.error).toMatch(/^ERR_BLOCKED_ADDRESS blocked address \(loopback\), resolved from localhost$/);
  });

  it('checks the answer behind every new connection, not only the first (a name re-resolved after its TTL)', async () => {
    let answers: LookupAddress[] = [];
    let resolutions = 0;
    const resolve = () => {
      resolutions += 1;
      return Promise.resolve(answers);
    };
    const agent = createOutboundAgent({ resolve, dnsCacheTtlMs: 1 });
    const executor = createExecutor({ responseBodyLimitBytes: 1024, userAgent: 'punctual/test', dispatcher: agent });
    try {
      answers = [v4Address('127.0.0.1')];
      const before = v4.connections;
      const first = await executor.execute({ url: `http://rebind.test:${v4.port}/`, method: 'GET', headers: {}, timeoutMs: 5_000 });
      await new Promise((resolve) => setTimeout(resolve, 10));
      answers = [v4Address('127.0.0.2')];
      const second = await executor.execute({ url: `http://rebind.test:${v4.port}/`, method: 'GET', headers: {}, timeoutMs: 5_000 });

      // The message leaves out resolved addresses, so the count of resolutions shows the second answer was checked.
      expect(resolutions).toBe(2);
      expect(first.error).toBe('ERR_BLOCKED_ADDRESS blocked address (loopback), resolved from rebind.test');
      expect(second.error).toBe('ERR_BLOCKED_ADDRESS blocked address (loopback), resolved from rebind.test');
      expect(v4.connections - before).toBe(0);
    } finally {
      await agent.close();
    }
  });
});

describe('the guarded lookup', () => {
  function lookupWith(answers: LookupAddress[], allowPrivateTargets = false) {
    const lookup = createGuardedLookup(createDnsCache({ resolve: answering(answers) }), allowPrivateTargets);
    return (options: { all?: boolean; family?: number }) =>
      new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) => {
        lookup('host.test', options, (error, address, family) => resolve({ error, address, family }));
      });
  }

  // Called directly: nothing is dialled, so the answers may hold any address.
  it('refuses a name when any address of its answer is blocked, whichever family was asked for', async () => {
    const lookup = lookupWith([v4Address('93.184.215.14'), { address: 'fe80::1', family: 6 }]);

    const { error } = await lookup({ family: 4 });

    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error?.message).toBe('blocked address (link-local), resolved from host.test');
  });

  it('refuses an answer that mixes public and private addresses (as DNS rebinding would)', async () => {
    const { error } = await lookupWith(['93.184.215.14', '10.0.0.5', '93.184.215.15'].map(v4Address))({ all: true });

    expect(error?.message).toBe('blocked address (private), resolved from host.test');
  });

  it('answers with every address when Node asks for all (happy eyeballs), one when it does not', async () => {
    const answers = [v4Address('93.184.215.14'), { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 }];
    const lookup = lookupWith(answers);

    expect(await lookup({ all: true })).toMatchObject({ error: null, address: answers });
    expect(await lookup({})).toMatchObject({ error: null, address: '93.184.215.14', family: 4 });
    expect(await lookup({ family: 6 })).toMatchObject({ error: null, address: answers[1]!.address, family: 6 });
  });

  it('lets blocked answers through with allowPrivateTargets', async () => {
    expect(await lookupWith([v4Address('127.0.0.1')], true)({})).toMatchObject({ error: null, address: '127.0.0.1', family: 4 });
  });
});

describe('the DNS cache', () => {
  function countingResolver(answer: (hostname: string) => Promise<LookupAddress[]>): Resolver & { calls: string[] } {
    const calls: string[] = [];
    return Object.assign(
      (hostname: string) => {
        calls.push(hostname);
        return answer(hostname);
      },
      { calls },
    );
  }

  it('reuses an answer within its TTL and shares one resolution between concurrent lookups', async () => {
    const resolve = countingResolver(() => Promise.resolve([v4Address('93.184.215.14')]));
    const cache = createDnsCache({ resolve, ttlMs: 60_000 });

    await Promise.all([cache.lookup('a.test'), cache.lookup('A.test')]);
    await cache.lookup('a.test');

    expect(resolve.calls).toEqual(['a.test']);
  });

  it('asks again once the TTL has passed', async () => {
    const resolve = countingResolver(() => Promise.resolve([v4Address('93.184.215.14')]));
    const cache = createDnsCache({ resolve, ttlMs: 20 });

    await cache.lookup('a.test');
    await new Promise((resolve) => setTimeout(resolve, 60));
    await cache.lookup('a.test');

    expect(resolve.calls).toEqual(['a.test', 'a.test']);
  });

  it('does not keep a failure', async () => {
    let fail = true;
    const resolve = countingResolver(() =>
      fail ? Promise.reject(new Error('getaddrinfo EAI_AGAIN a.test')) : Promise.resolve([v4Address('93.184.215.14')]),
    );
    const cache = createDnsCache({ resolve, ttlMs: 60_000 });

    await expect(cache.lookup('a.test')).rejects.toThrow('EAI_AGAIN');
    fail = false;

    await expect(cache.lookup('a.test')).resolves.toEqual([v4Address('93.184.215.14')]);
    expect(resolve.calls).toHaveLength(2);
  });

  it('keeps at most maxEntries names, dropping the oldest', async () => {
    const resolve = countingResolver(() => Promise.resolve([v4Address('93.184.215.14')]));
    const cache = createDnsCache({ resolve, ttlMs: 60_000, maxEntries: 2 });

    for (const name of ['a.test', 'b.test', 'c.test', 'c.test', 'b.test', 'a.test']) await cache.lookup(name);

    expect(resolve.calls).toEqual(['a.test', 'b.test', 'c.test', 'a.test']);
  });

  it('fails a resolution that takes longer than its timeout', async () => {
    const cache = createDnsCache({ resolve: () => new Promise<never>(() => {}), timeoutMs: 50 });

    await expect(cache.lookup('hung.test')).rejects.toMatchObject({ code: 'ETIMEOUT' });
  });
});

describe('a hung resolver', () => {
  let silentDns: UdpSocket;
  let queries = 0;
  let resolver: DnsResolver;

  beforeAll(async () => {
    // A DNS server on loopback that never answers: c-ares waits on it as it would on a dead resolver.
    silentDns = createSocket('udp4').on('message', () => queries++);
    silentDns.bind(0, '127.0.0.1');
    await once(silentDns, 'listening');
    resolver = new DnsResolver({ timeout: 60_000, tries: 1 });
    resolver.setServers([`127.0.0.1:${silentDns.address().port}`]);
  });

  afterAll(() => {
    resolver?.cancel();
    silentDns?.close();
  });

  it('holds an attempt no longer than its deadline', async () => {
    const resolve: Resolver = async (hostname) => (await resolver.resolve4(hostname)).map(v4Address);
    const agent = createOutboundAgent({ resolve });
    const executor = createExecutor({ responseBodyLimitBytes: 1024, userAgent: 'punctual/test', dispatcher: agent });
    try {
      const result = await executor.execute({ url: 'http://hung.test/', method: 'GET', headers: {}, timeoutMs: 300 });

      expect(result).toMatchObject({ outcome: 'failed', statusCode: null, error: 'timeout after 300 ms' });
      expect(result.durationMs).toBeGreaterThanOrEqual(290);
      expect(result.durationMs).toBeLessThan(2_000);
      expect(queries).toBeGreaterThanOrEqual(1);
    } finally {
      await agent.close();
    }
  });
});

function v4Address(address: string): LookupAddress {
  return { address, family: 4 };
}

function answering(answers: LookupAddress[]): Resolver {
  return () => Promise.resolve(answers);
}
