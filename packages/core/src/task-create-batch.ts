import { insertTasksWithinQuota, insertTask, type BatchedTaskRow, type TaskRow } from '@punctual/db';
import { AccountGoneError, isAccountGone } from './errors.js';
import { GroupCommit } from './group-commit.js';
import { enqueueNextAttempt, enqueueNextAttempts, type Actor, type TaskContext } from './task-context.js';
import { reserveTaskSlot } from './task-quota.js';

interface CreateRequest {
  actor: Actor;
  row: BatchedTaskRow;
}

/** Two batches out at once: one is written while the next gathers, so Postgres and Redis are never idle between them. */
const CREATES_IN_FLIGHT = 2;
/** Far above what a batch gathers at a few hundred connections; it bounds the statement's size. */
const MAX_CREATES_PER_BATCH = 200;

/** A stored create, and its attempt's way into the queue (which never rejects: a failure there is logged). */
interface Created {
  task: TaskRow;
  queued: Promise<void>;
}

const batchers = new WeakMap<TaskContext, GroupCommit<CreateRequest, Created>>();

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
  const { task, queued } = await batcher.submit({ actor, row });
  await queued;
  return task;
}

async function createBatch(context: TaskContext, requests: CreateRequest[]): Promise<PromiseSettledResult<Created>[]> {
  const rows = requests.map((request) => request.row);
  const quota = { maxTasks: context.limits.maxTasksPerUser };
  // Nothing is written when the statement fails: every create is then tried alone, to find the one at fault.
  const inserted = await insertTasksWithinQuota(context.db, rows, quota).catch(() => []);
  // Committed first: Postgres is the source of truth, the queue follows it. The batch's slot is free once the rows are
  // committed, so the next batch's INSERT does not wait for this one's queue round trip; each create answers after both.
  const queued = enqueueNextAttempts(context, inserted);
  const byId = new Map(inserted.map((task) => [task.id, task]));
  return Promise.allSettled(
    requests.map(async ({ actor, row }): Promise<Created> => {
      const task = byId.get(row.id);
      return task ? { task, queued } : { task: await createAlone(context, actor, row), queued: Promise.resolve() };
    }),
  );
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
