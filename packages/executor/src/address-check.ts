import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Why an address may not be called: the address as dialled (canonical form) and the range it falls in. */
export interface BlockedAddress {
  address: string;
  /** `loopback`, `private`, `link-local (cloud metadata)`, `loopback 127.0.0.1, IPv4-mapped` … */
  range: string;
}

/** A blocked range: network address, prefix length, and the name a refusal gives it. */
export type BlockedRange = readonly [network: string, prefixLength: number, name: string];

// The first match names the range, so narrower entries come before the ranges that hold them.
// IANA's special-purpose registries list these as not globally reachable (or not meant for unicast).
export const IPV4_BLOCKED: readonly BlockedRange[] = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.169.254', 32, 'link-local (cloud metadata)'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved (IETF protocol assignments)'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved (6to4 relay anycast)'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'],
  ['240.0.0.0', 4, 'reserved'],
];

// Global unicast is 2000::/3; everything outside it is blocked (see `ipv6RangeOf`), named by this table where it can be.
// (The worker NetworkPolicy in infra/k8s repeats both tables as its egress exceptions; a test keeps them in step.)
export const IPV6_BLOCKED: readonly BlockedRange[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['64:ff9b:1::', 48, 'NAT64 (local use)'],
  ['100::', 64, 'discard'],
  ['fc00::', 7, 'unique local (private)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local (deprecated)'],
  ['ff00::', 8, 'multicast'],
  ['2001::', 32, 'Teredo'],
  ['2001:2::', 48, 'benchmarking'],
  ['2001::', 23, 'reserved (IETF protocol assignments)'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
];
const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');
const IPV4_MAPPED = ipaddr.IPv6.parseCIDR('::ffff:0:0/96');
const NAT64 = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
const SIX_TO_FOUR = ipaddr.IPv6.parseCIDR('2002::/16');

const ipv4Ranges = IPV4_BLOCKED.map(([network, bits, name]) => ({
  cidr: [ipaddr.IPv4.parse(network), bits] as [ipaddr.IPv4, number],
  name,
}));
const ipv6Ranges = IPV6_BLOCKED.map(([network, bits, name]) => ({
  cidr: [ipaddr.IPv6.parse(network), bits] as [ipaddr.IPv6, number],
  name,
}));

/**
 * The IP address a URL host or a resolver's answer names, in canonical form, or null when it is a host name.
 * Every spelling the WHATWG URL parser reads as IPv4 counts (`127.1`, `0x7f.1`, `017700000001`, `2130706433`, `0`),
 * as do IPv6 literals with or without brackets (`[::1]`, `::ffff:7f00:1`).
 */
export function ipAddressOf(host: string): string | null {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0) return ipaddr.parse(bare).toString();
  if (bare.includes(':') || bare === '') return null;
  // The URL parser is what turned a task's URL into the host that is dialled, so it decides what is an IPv4 literal.
  let hostname: string;
  try {
    hostname = new URL(`http://${bare}/`).hostname;
  } catch {
    return null;
  }
  return isIP(hostname) === 4 ? hostname : null;
}

/**
 * Checks an address the executor is about to connect to (any spelling `ipAddressOf` reads): returns why it is blocked
 * (loopback, private, link-local, CGNAT, multicast, broadcast, reserved, documentation … in IPv4 or IPv6, including
 * IPv4 embedded in IPv4-mapped, NAT64 and 6to4 IPv6 addresses), or null when it may be called. Anything that is not
 * an IP address is blocked: a resolver answer must be one.
 */
export function checkAddress(host: string): BlockedAddress | null {
  const address = ipAddressOf(host);
  if (address === null) return { address: host, range: 'not an IP address' };
  const parsed = ipaddr.parse(address);
  const range = parsed.kind() === 'ipv4' ? ipv4RangeOf(parsed as ipaddr.IPv4) : ipv6RangeOf(parsed as ipaddr.IPv6);
  return range === null ? null : { address, range };
}

function ipv4RangeOf(address: ipaddr.IPv4): string | null {
  return ipv4Ranges.find(({ cidr }) => address.match(cidr))?.name ?? null;
}

function ipv6RangeOf(address: ipaddr.IPv6): string | null {
  // An IPv6 address that carries an IPv4 one reaches that IPv4 address, so it is judged by it.
  const embedded = embeddedIPv4(address);
  if (embedded !== null) {
    const range = ipv4RangeOf(embedded.address);
    return range === null ? null : `${range} ${embedded.address.toString()}, ${embedded.via}`;
  }
  const named = ipv6Ranges.find(({ cidr }) => address.match(cidr))?.name;
  if (named !== undefined) return named;
  return address.match(GLOBAL_UNICAST) ? null : 'reserved';
}

function embeddedIPv4(address: ipaddr.IPv6): { address: ipaddr.IPv4; via: string } | null {
  const bytes = address.toByteArray();
  if (address.match(IPV4_MAPPED)) return { address: ipv4From(bytes.slice(12)), via: 'IPv4-mapped' };
  if (address.match(NAT64)) return { address: ipv4From(bytes.slice(12)), via: 'NAT64' };
  if (address.match(SIX_TO_FOUR)) return { address: ipv4From(bytes.slice(2, 6)), via: '6to4' };
  return null;
}

function ipv4From(bytes: number[]): ipaddr.IPv4 {
  return new ipaddr.IPv4(bytes);
}
