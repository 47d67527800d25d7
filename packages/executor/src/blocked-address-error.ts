import type { BlockedAddress } from './address-check.js';

/** The code an attempt's error starts with when the guard refused its address. */
export const BLOCKED_ADDRESS_CODE = 'ERR_BLOCKED_ADDRESS';

/**
 * Refusal to connect to an address the guard blocks (loopback, private, link-local …). Raised before the socket
 * connects, so nothing is sent; the attempt's error reads `ERR_BLOCKED_ADDRESS blocked address 127.0.0.1 (loopback)`, or for a
 * host name `ERR_BLOCKED_ADDRESS blocked address (private), resolved from internal.example` (no address).
 */
export class BlockedAddressError extends Error {
  readonly code = BLOCKED_ADDRESS_CODE;

  constructor(
    readonly blocked: BlockedAddress,
    /** The host name whose answer was blocked; null when the URL named the address itself. */
    readonly hostname: string | null = null,
  ) {
    // For a host name, the address it resolved to stays out of the message (the attempt log shows it to the task's
    // owner): otherwise anyone could map internal DNS names to internal addresses through their tasks' logs.
    super(
      hostname === null
        ? `blocked address ${blocked.address} (${blocked.range})`
        : `blocked address (${blocked.range}), resolved from ${hostname}`,
    );
    this.name = 'BlockedAddressError';
  }
}

/**
 * Whether a failed call was the guard's refusal: the error itself, its `cause`, or one of an AggregateError's errors
 * (happy eyeballs tries each address) is a BlockedAddressError.
 */
export function isBlockedAddressError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if ((error as { code?: unknown }).code === BLOCKED_ADDRESS_CODE) return true;
  if (error instanceof AggregateError && error.errors.some(isBlockedAddressError)) return true;
  return error.cause !== undefined && error.cause !== error && isBlockedAddressError(error.cause);
}
