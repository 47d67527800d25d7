/**
 * Group commit: items submitted while a statement of the same kind is under way share the next statement, so many
 * concurrent attempts cost Postgres one parse, plan, executor start and commit instead of one each.
 *
 * A batch goes out as soon as fewer than `maxInFlight` batches are under way — no timer, so a lone item is sent at
 * once and is never delayed; under load the items that arrived meanwhile wait for a slot and go together. A batch
 * whose statement fails is tried again item by item, so one item's problem (a constraint, a deadlock) is never
 * another's. Written here because the job queues we use batch on a timer or per queue, not per statement in flight.
 */
export interface GroupCommitOptions<I, O> {
  /** Runs the items as one statement; one result per item, in the items' order. */
  runBatch(items: readonly I[]): Promise<O[]>;
  /** Runs one item alone: a lone item, and each item of a batch whose statement failed. */
  runOne(item: I): Promise<O>;
  /** Items with the same key never share a batch (the later one goes in the next). */
  keyOf(item: I): string;
  /** Batches under way at once (default 2: one executing while the next fills). */
  maxInFlight?: number;
  /** Items per batch at most (default 100). */
  maxBatch?: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (result: O) => void;
  reject: (error: unknown) => void;
}

export function createGroupCommit<I, O>(options: GroupCommitOptions<I, O>): (item: I) => Promise<O> {
  const maxInFlight = options.maxInFlight ?? 2;
  const maxBatch = options.maxBatch ?? 100;
  let waiting: Waiting<I, O>[] = [];
  let inFlight = 0;

  const takeBatch = (): Waiting<I, O>[] => {
    const batch: Waiting<I, O>[] = [];
    const keys = new Set<string>();
    const left: Waiting<I, O>[] = [];
    for (const entry of waiting) {
      const key = options.keyOf(entry.item);
      if (batch.length >= maxBatch || keys.has(key)) left.push(entry);
      else {
        keys.add(key);
        batch.push(entry);
      }
    }
    waiting = left;
    return batch;
  };

  const runAlone = (entry: Waiting<I, O>): Promise<void> => options.runOne(entry.item).then(entry.resolve, entry.reject);

  const run = async (batch: Waiting<I, O>[]): Promise<void> => {
    if (batch.length === 1) return runAlone(batch[0]!);
    let results: O[];
    try {
      results = await options.runBatch(batch.map((entry) => entry.item));
    } catch {
      await Promise.all(batch.map(runAlone));
      return;
    }
    batch.forEach((entry, index) => entry.resolve(results[index]!));
  };

  const flush = (): void => {
    while (inFlight < maxInFlight && waiting.length > 0) {
      inFlight += 1;
      void run(takeBatch()).finally(() => {
        inFlight -= 1;
        flush();
      });
    }
  };

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      flush();
    });
}
