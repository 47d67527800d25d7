import type { FlowControl, MisfirePolicy, RetryRule, StatusCodeRule } from '@punctual/scheduling';
import { InvalidInputError } from './errors.js';

/** Flow control as stored: it must limit something (400 naming `body/flowControl`); null removes it. */
export function checkFlowControl(flowControl: FlowControl | null): FlowControl | null {
  if (flowControl === null) return null;
  if (flowControl.parallelism === undefined && flowControl.ratePerSecond === undefined) {
    throw new InvalidInputError('body/flowControl', 'must set parallelism, ratePerSecond or both');
  }
  return flowControl;
}

/** A misfire policy other than `once` speaks of occurrences: a one-off task has none, so it is refused there. */
export function checkMisfire(misfire: MisfirePolicy, recurring: boolean): void {
  if (misfire !== 'once' && !recurring) {
    throw new InvalidInputError(
      'body/misfire',
      'applies to recurring tasks only (give cron, or set it to "once" when making the task one-off)',
    );
  }
}

/** A list of status or retry rules as stored: in the order given, without repeats. */
export function normalizeRules<Rule extends StatusCodeRule | RetryRule>(rules: readonly Rule[]): Rule[] {
  return [...new Set(rules)];
}
