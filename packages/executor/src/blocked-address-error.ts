import type { BlockedAddress } from './address-check.js';

/**
 * Refusal to connect to an address the guard blocks (loopback, private, link-local …). Raised before the socket
 * connects, so nothing is sent; the attempt's error reads `ERR_BLOCKED_ADDRESS blocked address 127.0.0.1 (loopback)`.
 */
export class BlockedAddressError extends Error {
  readonly code = 'ERR_BLOCKED_ADDRESS';

  constructor(
    readonly blocked: BlockedAddress,
    /** The host name whose answer was blocked; null when the URL named the address itself. */
    readonly hostname: string | null = null,
  ) {
    const resolved = hostname === null ? '' : `, resolved from ${hostname}`;
    super(`blocked address ${blocked.address} (${blocked.range})${resolved}`);
    this.name = 'BlockedAddressError';
  }
}
