import { DEFAULT_RETRY_ON, DEFAULT_SUCCESS_CODES, outcomeRulesProblem, type RetryRule, type StatusCodeRule } from '@punctual/scheduling';
import { InvalidInputError } from './errors.js';

/** The outcome rules a create or update gives, over the ones stored (null: the defaults). */
export interface OutcomeRulesChange {
  given: { successCodes?: readonly StatusCodeRule[]; retryOn?: readonly RetryRule[] };
  stored?: { successCodes: readonly StatusCodeRule[] | null; retryOn: readonly RetryRule[] | null };
}

/**
 * Refuses (400) outcome rules that contradict themselves once combined (see outcomeRulesProblem), naming the
 * `retryOn` entry (`body/retryOn/1`) when retryOn is given, else `body/successCodes` (an update whose successCodes
 * make a stored retryOn rule meaningless).
 */
export function checkOutcomeRules({ given, stored }: OutcomeRulesChange): void {
  if (given.successCodes === undefined && given.retryOn === undefined) return;
  const successCodes = given.successCodes ?? stored?.successCodes ?? DEFAULT_SUCCESS_CODES;
  const retryOn = given.retryOn ?? stored?.retryOn ?? DEFAULT_RETRY_ON;
  const problem = outcomeRulesProblem(successCodes, retryOn);
  if (problem === null) return;
  if (given.retryOn !== undefined) throw new InvalidInputError(`body/retryOn/${problem.index}`, problem.message);
  throw new InvalidInputError(
    'body/successCodes',
    `makes the stored retryOn entry ${String(retryOn[problem.index])} meaningless (${problem.message}): change retryOn in the same update`,
  );
}
