import type { Scenario } from '../scenario.js';
import { CORE_SCENARIOS } from './core.js';
import { EXTRA_SCENARIOS } from './extra.js';

/** Every scenario of `pnpm bench`, in the order a full run takes them. */
export const SCENARIOS: readonly Scenario[] = [...CORE_SCENARIOS, ...EXTRA_SCENARIOS];
