interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (reason: unknown) => void;
}

/**
 * Runs submitted items in shared batches (group commit): a batch goes out at once while fewer than `maxInFlight` are
 * out, and the items that arrive meanwhile wait for a free slot and go out together. There is no timer, so a lone item
 * is never delayed; under load the batches grow by themselves. Written here because the batching libraries (e.g.
 * dataloader) gather per event-loop tick instead, which under load sends many small batches and at rest adds a wait.
 */
export class GroupCommit<I, O> {
  readonly #waiting: Waiting<I, O>[] = [];
  #inFlight = 0;

  /** `run` answers each item of a batch on its own, in the order given. */
  constructor(
    private readonly run: (items: I[]) => Promise<PromiseSettledResult<O>[]>,
    private readonly options: { maxInFlight: number; maxBatch: number },
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      this.#sendWhileRoom();
    });
  }

  #sendWhileRoom(): void {
    while (this.#inFlight < this.options.maxInFlight && this.#waiting.length > 0) {
      this.#inFlight += 1;
      void this.#send(this.#waiting.splice(0, this.options.maxBatch));
    }
  }

  async #send(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((waiting) => waiting.item));
      batch.forEach((waiting, index) => {
        const result = results[index];
        if (result?.status === 'fulfilled') waiting.resolve(result.value);
        else waiting.reject(result === undefined ? new Error('a batch left an item unanswered') : result.reason);
      });
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    } finally {
      this.#inFlight -= 1;
      this.#sendWhileRoom();
    }
  }
}
