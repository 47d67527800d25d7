import { createHmac } from 'node:crypto';
import { claimIdempotencyKey, findIdempotencyKey, findTask, insertTask, type NewTaskRow, type TaskRow } from '@punctual/db';
import { AccountGoneError, IdempotencyKeyReusedError, isAccountGone } from './errors.js';
import { reserveTaskSlot } from './task-quota.js';
import { enqueueNextAttempt, type Actor, type TaskContext } from './task-context.js';
import type { CreateTaskInput } from './task-input.js';
import { checkNotifyEmailOnCreate, createTask, newTaskRow } from './tasks.js';
import { toTaskView, type TaskView } from './views.js';

/** How long an Idempotency-Key stays bound to the task it created; after that it is free for a new one. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3_600_000;

export interface TaskCreation {
  task: TaskView;
  /** The key had already created this task: nothing was stored or queued this time. */
  replayed: boolean;
}

/**
 * Creates a task, once per user and `idempotencyKey` within 24 h (every time when there is no key). A repeat with the
 * same body returns the original task with `replayed`; one with another body is an `IdempotencyKeyReusedError`.
 * The key and the task are written in one transaction and the attempt is queued after it commits, so concurrent
 * duplicates end in one task and one job. Deleting the task frees its key: a repeat then creates a new task.
 */
export async function createTaskIdempotently(
  context: TaskContext,
  actor: Actor,
  input: CreateTaskInput,
  options: { idempotencyKey?: string },
): Promise<TaskCreation> {
  const key = options.idempotencyKey;
  if (key === undefined) return { task: await createTask(context, actor, input), replayed: false };
  const row = newTaskRow(context, actor, input);
  await checkNotifyEmailOnCreate(context, actor, input);
  const requestHash = hashCreateRequest(context.secretsKey, input);
  const outcome = await claimAndInsert(context, actor, key, requestHash, row).catch((error: unknown) => {
    throw isAccountGone(error) ? new AccountGoneError() : error;
  });
  if (!outcome.replayed) await enqueueNextAttempt(context, outcome.task);
  return { task: toTaskView(outcome.task), replayed: outcome.replayed };
}

async function claimAndInsert(
  context: TaskContext,
  actor: Actor,
  key: string,
  requestHash: string,
  row: NewTaskRow & { id: string },
): Promise<{ task: TaskRow; replayed: boolean }> {
  return context.db.transaction().execute(async (trx) => {
    const claimed = await claimIdempotencyKey(trx, {
      userId: actor.userId,
      key,
      requestHash,
      taskId: row.id,
      ttlMs: IDEMPOTENCY_KEY_TTL_MS,
    });
    if (claimed) {
      // Over the quota, the claim rolls back with the refusal: the same key may be used again once there is room.
      await reserveTaskSlot(trx, actor.userId, context.limits.maxTasksPerUser);
      return { task: await insertTask(trx, row), replayed: false };
    }
    // A claim that loses still locks the key row until commit, so neither it nor its task can vanish before we read them.
    const held = await findIdempotencyKey(trx, actor.userId, key);
    if (held === null) throw new Error('idempotency key lost while locked');
    if (held.request_hash !== requestHash) throw new IdempotencyKeyReusedError();
    const original = await findTask(trx, { kind: 'user', userId: actor.userId }, held.task_id);
    if (original === null) throw new Error('idempotency key outlived its task');
    return { task: original, replayed: true };
  });
}

/**
 * What makes two create requests the same: the body as canonical JSON (keys sorted at every level). Keyed with the
 * secrets key rather than a bare sha256, because the body carries the token and sensitive header values in clear.
 */
function hashCreateRequest(secretsKey: Buffer, input: CreateTaskInput): string {
  return createHmac('sha256', secretsKey).update(canonicalJson(input)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((name) => record[name] !== undefined)
      .sort()
      .map((name) => `${JSON.stringify(name)}:${canonicalJson(record[name])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}
