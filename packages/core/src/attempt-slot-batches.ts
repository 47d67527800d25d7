import { createGroupCommit } from '@punctual/db';
import type { AttemptSlots, SlotRelease, SlotRequest } from '@punctual/queue';
import type { LimitRefusal } from '@punctual/scheduling';

/** One attempt's requests to the slot store; see slotBatchesOf. */
export interface SlotBatches {
  acquire(request: SlotRequest): Promise<LimitRefusal | null>;
  /** The waiters to wake for the slots freed (by the batch this release went out in: named once per batch). */
  release(release: SlotRelease): Promise<string[]>;
}

/**
 * One statement under way per kind at a time: the requests of the attempts that arrive meanwhile go together in the
 * next (as claims and records do), so a busy worker costs the store one round trip and one lock pass per batch.
 */
const BATCHES_IN_FLIGHT = 1;

const batches = new WeakMap<AttemptSlots, SlotBatches>();

/**
 * The store's slots with group commit (createGroupCommit: no timer, a lone request goes at once). One batcher per
 * store, shared by everyone who runs attempts against it in this process.
 */
export function slotBatchesOf(slots: AttemptSlots): SlotBatches {
  let batched = batches.get(slots);
  if (batched) return batched;
  const acquire = createGroupCommit({
    runBatch: (requests: readonly SlotRequest[]) => slots.acquire(requests),
    runOne: async (request: SlotRequest) => (await slots.acquire([request]))[0] ?? null,
    keyOf: (request) => request.lease,
    maxInFlight: BATCHES_IN_FLIGHT,
  });
  const release = createGroupCommit({
    runBatch: async (releases: readonly SlotRelease[]) => {
      const woken = await slots.release(releases);
      return releases.map((_, index) => (index === 0 ? woken : []));
    },
    runOne: (one: SlotRelease) => slots.release([one]),
    keyOf: (one) => one.lease,
    maxInFlight: BATCHES_IN_FLIGHT,
  });
  batched = { acquire, release };
  batches.set(slots, batched);
  return batched;
}
