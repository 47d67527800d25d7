import type { Scenario } from '../scenario.js';

/** lone, million, memory, embedded, scaling. */
export const EXTRA_SCENARIOS: readonly Scenario[] = [];
