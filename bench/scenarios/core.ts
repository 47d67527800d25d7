import type { Scenario } from '../scenario.js';

/** create, drain, burst, steady, sustained: Punctual beside the baselines A, B and C. */
export const CORE_SCENARIOS: readonly Scenario[] = [];
