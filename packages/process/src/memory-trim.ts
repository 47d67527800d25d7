import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * Gives back what start-up left committed: a full collection that also shrinks V8's young generation to its minimum
 * and unmaps the freed pages (V8's "last resort" collection, the one it runs under memory pressure).
 *
 * Loading modules and compiling schemas grow the young generation to its maximum (`--max-semi-space-size`, see
 * NODE_FLAGS), and V8 keeps those pages while nothing else collects: ~25 MiB of an idle process. Capping the young
 * generation instead (1 MiB) kept idle processes small but made every scavenge under load promote the objects of
 * attempts still in flight: 30 % more worker CPU per attempt. So the cap is generous, and start-up's growth is given
 * back once, here. Node exposes no API for this; the `gc` function of a context created with `--expose-gc` is V8's own.
 */
export function releaseStartupMemory(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as Gc;
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}
