import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';

/** Resolves a host name to all its addresses. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export interface DnsCacheOptions {
  /** Default: the system resolver (`dns.lookup`, so /etc/hosts counts), as Node's own connections use. */
  resolve?: Resolver;
  /** How long an answer is reused (default 30 s); the system resolver gives no record TTL to go by. */
  ttlMs?: number;
  /** How many host names are kept (default 1000); the oldest answer goes first. */
  maxEntries?: number;
  /** How long one resolution may take before it fails (default 15 s), so a hung resolver is asked again later. */
  timeoutMs?: number;
}

/** Answers for host names, shared by the connections of one process. */
export interface DnsCache {
  /** Every address of `hostname`; concurrent lookups of one name share one resolution. */
  lookup(hostname: string): Promise<LookupAddress[]>;
}

interface Entry {
  addresses: Promise<LookupAddress[]>;
  /** Infinity while the resolution is in flight. */
  expiresAt: number;
}

/** A short-lived, bounded cache of DNS answers in front of a resolver. Failures are not cached. */
export function createDnsCache(options: DnsCacheOptions = {}): DnsCache {
  const resolve = options.resolve ?? systemResolver;
  const ttlMs = options.ttlMs ?? 30_000;
  const maxEntries = options.maxEntries ?? 1_000;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const entries = new Map<string, Entry>();

  return {
    lookup(hostname) {
      const key = hostname.toLowerCase();
      const cached = entries.get(key);
      if (cached !== undefined && cached.expiresAt > Date.now()) return cached.addresses;
      entries.delete(key);

      const entry: Entry = { addresses: withTimeout(resolve(hostname), timeoutMs, hostname), expiresAt: Number.POSITIVE_INFINITY };
      entries.set(key, entry);
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries) break;
        entries.delete(oldest);
      }
      entry.addresses.then(
        () => {
          entry.expiresAt = Date.now() + ttlMs;
        },
        () => {
          if (entries.get(key) === entry) entries.delete(key);
        },
      );
      return entry.addresses;
    },
  };
}

function systemResolver(hostname: string): Promise<LookupAddress[]> {
  return lookup(hostname, { all: true });
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, hostname: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(Object.assign(new Error(`lookup ETIMEOUT ${hostname}: no answer within ${timeoutMs} ms`), { code: 'ETIMEOUT', hostname }));
    }, timeoutMs);
    timer.unref();
  });
  return Promise.race([promise, timedOut]).finally(() => clearTimeout(timer));
}
