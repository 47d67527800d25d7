import type { BulkActionResponse } from '@punctual/contract';
import { applyTaskAction, countLiveTasks, findFinishedTasks, type ActedTask, type TaskActionRefusal } from '@punctual/db';
import { TASK_TRANSITIONS, refusalMessage, type BulkAction, type TaskAction } from '@punctual/scheduling';
import { InvalidTransitionError, NotFoundError, QuotaExceededError, type PunctualError } from './errors.js';
import { discardAttempts, enqueueNextAttempts, scopeOf, type Actor, type TaskContext } from './task-context.js';
import { toTaskView, type TaskView } from './views.js';

/** One id's outcome in a bulk action (the contract's BulkActionResponse item). */
export type BulkActionResult = BulkActionResponse['results'][number];

/**
 * `POST /tasks/:id/<action>`: applies the action when the task's status allows it (409 naming the status otherwise),
 * then moves its queued work: the job of the old version is removed, and the new one queued when the task waits for a run.
 */
export async function actOnTask(context: TaskContext, actor: Actor, id: string, action: TaskAction): Promise<TaskView> {
  const overQuota = await idsOverQuota(context, actor, [id], action);
  if (overQuota.size > 0) throw new QuotaExceededError(context.limits.maxTasksPerUser);
  return toTaskView(await applyToOneTask(context, actor, id, action));
}

/** `POST /tasks/bulk`: the same action on up to 100 tasks in one statement; each id succeeds or fails alone. */
export async function actOnTasks(
  context: TaskContext,
  actor: Actor,
  ids: readonly string[],
  action: BulkAction,
): Promise<BulkActionResult[]> {
  const overQuota = await idsOverQuota(context, actor, ids, action);
  const { refused } = await applyAndRequeue(
    context,
    actor,
    ids.filter((id) => !overQuota.has(id)),
    action,
  );
  const failures = new Map<string, PunctualError>(refused.map((refusal) => [refusal.id, refusalError(action, refusal)]));
  for (const id of overQuota) failures.set(id, new QuotaExceededError(context.limits.maxTasksPerUser));
  return ids.map((id) => {
    const error = failures.get(id);
    return error ? { id, ok: false, statusCode: error.statusCode, message: error.message } : { id, ok: true };
  });
}

/**
 * One task's action or `delete`, through the same statement as the bulk path: the task as the action left it (for
 * `delete`: as it was), 404 when the actor cannot see it, 409 when its status does not allow the action.
 */
export async function applyToOneTask(context: TaskContext, actor: Actor, id: string, action: TaskAction | BulkAction): Promise<ActedTask> {
  const { changed, refused } = await applyAndRequeue(context, actor, [id], action);
  const refusal = refused[0];
  if (refusal) throw refusalError(action, refusal);
  return changed[0]!;
}

async function applyAndRequeue(
  context: TaskContext,
  actor: Actor,
  ids: readonly string[],
  action: TaskAction | BulkAction,
): Promise<{ changed: ActedTask[]; refused: TaskActionRefusal[] }> {
  const result = await applyTaskAction(context.db, { scope: scopeOf(actor), ids, action, misfireGraceMs: context.misfireGraceMs });
  // A job carries the version it was made for: withdraw it when the row moved to a new version or is gone, and queue
  // one for the new version when the task waits for a run. reset-retries keeps the version, and with it the job.
  const removed = TASK_TRANSITIONS[action].to === 'removed';
  const moved = result.changed.filter((task) => removed || task.version !== task.previous_version);
  if (moved.length > 0) {
    await discardAttempts(
      context,
      moved.map((task) => ({ id: task.id, version: task.previous_version })),
    );
    if (!removed) await enqueueNextAttempts(context, moved);
  }
  return result;
}

/**
 * `retry` and `run` bring a finished task back to life, so they count against its owner's quota like a create: the
 * finished ids among `ids` that would take an owner past the quota (403 each). Checked before the action rather than
 * in its statement: one racing a create may pass the quota by one.
 */
async function idsOverQuota(
  context: TaskContext,
  actor: Actor,
  ids: readonly string[],
  action: TaskAction | BulkAction,
): Promise<Set<string>> {
  if (action !== 'retry' && action !== 'run') return new Set();
  const finished = await findFinishedTasks(context.db, scopeOf(actor), [...new Set(ids)]);
  const byOwner = new Map<string, string[]>();
  for (const task of finished) byOwner.set(task.user_id, [...(byOwner.get(task.user_id) ?? []), task.id]);
  const max = context.limits.maxTasksPerUser;
  const refused = new Set<string>();
  // One count per owner: a user's request has one; an admin's bulk at most one per owner of its ≤ 100 ids.
  for (const [userId, taskIds] of byOwner) {
    const room = Math.max(0, max - (await countLiveTasks(context.db, userId, max)));
    for (const id of taskIds.slice(room)) refused.add(id);
  }
  return refused;
}

function refusalError(action: TaskAction | BulkAction, refusal: TaskActionRefusal): PunctualError {
  if (refusal.reason === 'not-found') return new NotFoundError('task');
  return new InvalidTransitionError(refusalMessage(action, refusal));
}
