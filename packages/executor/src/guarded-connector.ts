import type { LookupAddress, LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import { checkAddress, ipAddressOf } from './address-check.js';
import { BlockedAddressError } from './blocked-address-error.js';
import type { DnsCache } from './dns-cache.js';

export interface GuardedConnectorOptions {
  /** Passed to undici's `buildConnector` (timeout, TLS options …); its `lookup` is the guard's own. */
  connect: buildConnector.BuildOptions;
  dnsCache: DnsCache;
  /** Skip the address check (ALLOW_PRIVATE_TARGETS): names are still resolved through the cache. */
  allowPrivateTargets: boolean;
}

/**
 * undici's connector with the address guard: an IP literal host is checked before anything is dialled, and a host name
 * is resolved by a lookup that refuses the connection when any of its addresses is blocked. The check is on the
 * addresses the socket then connects to, so a DNS answer that changes between calls (rebinding) cannot get past it.
 */
export function createGuardedConnector(options: GuardedConnectorOptions): buildConnector.connector {
  const lookup = createGuardedLookup(options.dnsCache, options.allowPrivateTargets);
  const connect = buildConnector({ ...options.connect, lookup });
  if (options.allowPrivateTargets) return connect;

  return (target, callback) => {
    // Node's net.connect skips `lookup` for an IP literal, so the literal is checked here.
    const literal = ipAddressOf(target.hostname);
    const blocked = literal === null ? null : checkAddress(literal);
    if (blocked !== null) {
      process.nextTick(callback, new BlockedAddressError(blocked), null);
      return;
    }
    // undici cancels a connection no request waits for any more through the socket the connector returns.
    return connect(target, callback);
  };
}

/**
 * A `lookup` for net.connect that answers from the cache and refuses a host name any of whose addresses is blocked
 * (with happy eyeballs, Node may try each of them).
 */
export function createGuardedLookup(dnsCache: DnsCache, allowPrivateTargets: boolean): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    dnsCache.lookup(hostname).then(
      (answers) => {
        const blocked = allowPrivateTargets
          ? undefined
          : answers.map(({ address }) => checkAddress(address)).find((found) => found !== null);
        if (blocked) return callback(new BlockedAddressError(blocked, hostname), lookupOptions.all ? [] : '');
        const usable = ofFamily(answers, lookupOptions);
        const first = usable[0];
        if (first === undefined) return callback(notFound(hostname), lookupOptions.all ? [] : '');
        if (lookupOptions.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, lookupOptions.all ? [] : ''),
    );
  };
}

function ofFamily(answers: LookupAddress[], options: LookupOptions): LookupAddress[] {
  const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
  return family === 4 || family === 6 ? answers.filter((answer) => answer.family === family) : answers;
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
}
