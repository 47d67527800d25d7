import type { Scenario } from '../scenario.js';
import { burst } from './burst.js';
import { create } from './create.js';
import { drain } from './drain.js';
import { reads } from './reads.js';
import { steady } from './steady.js';
import { sustained } from './sustained.js';

/** create, drain, burst, steady, sustained: Punctual beside the baselines A, B and C; then reads. */
export const CORE_SCENARIOS: readonly Scenario[] = [create, drain, burst, steady, sustained, reads];
