import type { RetryRule, StatusCodeRule } from './delivery-options.js';

/**
 * How a failed attempt failed, as `retryOn` tells failures apart:
 * - `status`: a response arrived whose status is not in `successCodes` (matched by a class or code rule);
 * - `network`: no whole response (connection refused or reset, DNS, TLS, the body broke off): the `network` rule;
 * - `timeout`: the attempt's deadline passed, in any phase: the `timeout` rule;
 * - `not-sent`: Punctual refused to send it (a blocked address, a secret that does not open, an unusable URL):
 *   only `any` retries it, since another attempt fails the same way unless someone changes something;
 * - `lost`: the worker died mid-attempt: always retried while attempts are left, whatever `retryOn` says (it tells
 *   nothing about the target).
 */
export const FAILURE_KINDS = ['status', 'network', 'timeout', 'not-sent', 'lost'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** Whether `statusCode` is one `rules` lists: a class (`"4xx"`) or the code itself (`404`). */
export function matchesStatusRules(statusCode: number, rules: readonly (StatusCodeRule | RetryRule)[]): boolean {
  const statusClass = Math.floor(statusCode / 100);
  for (const rule of rules) {
    if (typeof rule === 'number' ? rule === statusCode : isStatusClass(rule) && classOf(rule) === statusClass) return true;
  }
  return false;
}

/** Whether the failure is one `retryOn` retries (see FailureKind). */
export function isRetried(kind: FailureKind, statusCode: number | null, retryOn: readonly RetryRule[]): boolean {
  if (kind === 'lost') return true;
  for (const rule of retryOn) {
    if (rule === 'any' || rule === kind) return true;
  }
  return kind === 'status' && statusCode !== null && matchesStatusRules(statusCode, retryOn);
}

/** The log's error for a failure `retryOn` did not retry: `HTTP 400 (not retried: retryOn is 5xx, network)`. */
export function notRetriedError(error: string | null, retryOn: readonly RetryRule[]): string {
  const reason = `not retried: retryOn is ${retryOn.join(', ')}`;
  return error === null ? reason : `${error} (${reason})`;
}

/** A create or update's outcome rules that contradict themselves: which `retryOn` entry, and why. */
export interface OutcomeRulesProblem {
  index: number;
  message: string;
}

/**
 * Checks `successCodes` and `retryOn` beyond their shape, for lists that contradict themselves: `any` beside other
 * entries (it retries everything already), and a retryOn status rule whose every status counts as success (it could
 * never apply). Repeats and a code beside its own class are harmless. Returns the first problem, or null.
 */
export function outcomeRulesProblem(successCodes: readonly StatusCodeRule[], retryOn: readonly RetryRule[]): OutcomeRulesProblem | null {
  const anyAt = retryOn.indexOf('any');
  if (anyAt !== -1 && retryOn.some((rule) => rule !== 'any')) {
    return { index: anyAt, message: 'retries every failure already: give "any" alone' };
  }
  for (const [index, rule] of retryOn.entries()) {
    const covered =
      typeof rule === 'number' ? matchesStatusRules(rule, successCodes) : isStatusClass(rule) && listsRule(successCodes, rule);
    if (covered) {
      return { index, message: `${rule} counts as success (successCodes), so it is never retried` };
    }
  }
  return null;
}

function listsRule(rules: readonly (StatusCodeRule | RetryRule)[], rule: StatusCodeRule | RetryRule): boolean {
  return rules.includes(rule);
}

/** `"2xx"` → 2 (only for a rule isStatusClass accepts). */
function classOf(rule: string): number {
  return rule.charCodeAt(0) - 48;
}

/** `"1xx"` … `"5xx"`. */
function isStatusClass(rule: string): boolean {
  const digit = rule.charCodeAt(0);
  return rule.length === 3 && digit >= 49 && digit <= 53 && rule.charCodeAt(1) === 120 && rule.charCodeAt(2) === 120;
}
