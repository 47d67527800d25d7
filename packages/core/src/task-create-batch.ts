import { insertTasksWithinQuota, insertTask, type BatchedTaskRow, type TaskRow } from '@punctual/db';
import { AccountGoneError, isAccountGone } from './errors.js';
import { enqueueNextAttempt, enqueueNextAttempts, type Actor, type TaskContext } from './task-context.js';
import { reserveTaskSlot, UNLOCKED_MARGIN } from './task-quota.js';

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

interface CreateRequest {
  actor: Actor;
  row: BatchedTaskRow;
}

/** Two batches out at once: one is written while the next gathers, so Postgres and Redis are never idle between them. */
const CREATES_IN_FLIGHT = 2;
/** Far above what a batch gathers at a few hundred connections; it bounds the statement's size. */
const MAX_CREATES_PER_BATCH = 200;

const batchers = new WeakMap<TaskContext, GroupCommit<CreateRequest, TaskRow>>();

/**
 * Stores a checked task row and queues its first attempt, sharing one INSERT and one queue round trip with the creates
 * that arrive at the same time. Each create still gets its own answer: the rows of a user near the quota, and every
 * row of a batch whose statement failed, are created one by one, so one create's problem never fails another.
 */
export async function insertNewTask(context: TaskContext, actor: Actor, row: BatchedTaskRow): Promise<TaskRow> {
  let batcher = batchers.get(context);
  if (batcher === undefined) {
    batcher = new GroupCommit((requests) => createBatch(context, requests), {
      maxInFlight: CREATES_IN_FLIGHT,
      maxBatch: MAX_CREATES_PER_BATCH,
    });
    batchers.set(context, batcher);
  }
  return batcher.submit({ actor, row });
}

async function createBatch(context: TaskContext, requests: CreateRequest[]): Promise<PromiseSettledResult<TaskRow>[]> {
  const rows = requests.map((request) => request.row);
  const quota = { maxTasks: context.limits.maxTasksPerUser, unlockedMargin: UNLOCKED_MARGIN };
  // Nothing is written when the statement fails: every create is then tried alone, to find the one at fault.
  const inserted = await insertTasksWithinQuota(context.db, rows, quota).catch(() => []);
  // Committed first: Postgres is the source of truth, the queue follows it.
  await enqueueNextAttempts(context, inserted);
  const byId = new Map(inserted.map((task) => [task.id, task]));
  return Promise.allSettled(requests.map(async ({ actor, row }) => byId.get(row.id) ?? createAlone(context, actor, row)));
}

/** The create of a user near the quota (counted again under the user's quota lock), or the retry of a failed batch's. */
async function createAlone(context: TaskContext, actor: Actor, row: BatchedTaskRow): Promise<TaskRow> {
  const task = await context.db
    .transaction()
    .execute(async (trx) => {
      await reserveTaskSlot(trx, actor.userId, context.limits.maxTasksPerUser);
      return insertTask(trx, row);
    })
    .catch((error: unknown) => {
      throw isAccountGone(error) ? new AccountGoneError() : error;
    });
  await enqueueNextAttempt(context, task);
  return task;
}
