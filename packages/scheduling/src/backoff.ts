/** fixed: the same delay before every retry; exponential: doubling from it. */
export const BACKOFF_TYPES = ['fixed', 'exponential'] as const;
export type BackoffType = (typeof BACKOFF_TYPES)[number];

export interface BackoffPolicy {
  type: BackoffType;
  delayMs: number;
  maxDelayMs: number;
  jitter: boolean;
}

/** The largest exponent used, so that 2^(n-1) never overflows into Infinity before the cap applies. */
const MAX_EXPONENT = 40;

/**
 * Delay before the n-th retry (n = 1 after the first failed attempt).
 * fixed: delayMs; exponential: delayMs × 2^(n-1); both capped at maxDelayMs; jitter adds 0–25 % (then capped again).
 * A Retry-After from the target raises the delay to what it asks, still capped at maxDelayMs.
 * `random` returns [0, 1): injected so the rule stays pure.
 */
export function retryDelayMs(
  policy: BackoffPolicy,
  retryNumber: number,
  options: { retryAfterMs?: number | null; random?: () => number } = {},
): number {
  const n = Math.max(1, Math.floor(retryNumber));
  const base = policy.type === 'fixed' ? policy.delayMs : policy.delayMs * 2 ** Math.min(n - 1, MAX_EXPONENT);
  let delay = Math.min(base, policy.maxDelayMs);
  if (policy.jitter) delay = Math.min(delay + delay * 0.25 * (options.random ?? Math.random)(), policy.maxDelayMs);
  if (options.retryAfterMs != null && options.retryAfterMs > delay) delay = Math.min(options.retryAfterMs, policy.maxDelayMs);
  return Math.max(0, Math.round(delay));
}
