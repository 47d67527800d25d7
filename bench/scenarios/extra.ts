import type { Scenario } from '../scenario.js';
import { EMBEDDED_SCENARIO } from './embedded.js';
import { LONE_SCENARIO } from './lone.js';
import { MEMORY_SCENARIO } from './memory.js';
import { MILLION_SCENARIO } from './million.js';
import { SCALING_SCENARIO } from './scaling.js';

/** lone, million, memory, embedded, scaling. */
export const EXTRA_SCENARIOS: readonly Scenario[] = [LONE_SCENARIO, MILLION_SCENARIO, MEMORY_SCENARIO, EMBEDDED_SCENARIO, SCALING_SCENARIO];
