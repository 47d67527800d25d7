/**
 * The shapes of a task's delivery options (api.md "Delivery options"): which responses count as success, which
 * failures are retried, flow control, and what a recurring task does with missed occurrences. The rules that use
 * them live beside them in this package; the API's schemas and the columns are built from these lists.
 */

/** A status class (`2xx`) or one status code (`404`). */
export type StatusCodeRule = `${1 | 2 | 3 | 4 | 5}xx` | number;

/** Failure kinds `retryOn` may name besides status rules: no response at all, or the attempt's deadline passed. */
export const RETRY_FAILURE_KINDS = ['any', 'network', 'timeout'] as const;
export type RetryRule = (typeof RETRY_FAILURE_KINDS)[number] | StatusCodeRule;

export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const satisfies readonly StatusCodeRule[];

/** A response counts as success when its status is 2xx, unless the task says otherwise. */
export const DEFAULT_SUCCESS_CODES: readonly StatusCodeRule[] = ['2xx'];
/** Every failure is retried, unless the task says otherwise. */
export const DEFAULT_RETRY_ON: readonly RetryRule[] = ['any'];

/**
 * Flow control: the owner's attempts that share `key` — at most `parallelism` in flight and `ratePerSecond` started,
 * across the whole fleet. At least one of the two is set.
 */
export interface FlowControl {
  key: string;
  parallelism?: number;
  ratePerSecond?: number;
}

/** What a recurring task does with occurrences no attempt could start within MISFIRE_GRACE_MS of. */
export const MISFIRE_POLICIES = ['once', 'skip', 'all'] as const;
export type MisfirePolicy = (typeof MISFIRE_POLICIES)[number];
export const DEFAULT_MISFIRE: MisfirePolicy = 'once';
