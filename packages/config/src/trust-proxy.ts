import { isIP } from 'node:net';

/** What Fastify's `trustProxy` takes: off, every proxy, a number of hops, or the proxies' addresses and ranges. */
export type TrustProxy = boolean | number | string[];

// proxy-addr's (Fastify's) names for the usual private ranges.
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Parses TRUST_PROXY; throws a message (without the value) when an entry is neither an address, a CIDR nor a range name. */
export function parseTrustProxy(text: string): TrustProxy {
  const value = text.trim().toLowerCase();
  if (value === 'false') return false;
  if (value === 'true') return true;
  if (/^[0-9]+$/.test(value)) return Number(value);
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  entries.forEach((entry, index) => {
    if (!isAddressOrRange(entry)) {
      throw new Error(`entry ${index + 1} is not false, true, a hop count, an IP address, a CIDR or loopback/linklocal/uniquelocal`);
    }
  });
  return entries;
}

function isAddressOrRange(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^[0-9]{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}
