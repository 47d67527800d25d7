import { applyTaskAction, countLiveTasks, findTask, type TaskActionRefusal, type TaskRow } from '@punctual/db';
import { isTerminal, type BulkAction, type TaskAction, type TaskStatus } from '@punctual/scheduling';
import { InvalidTransitionError, NotFoundError, QuotaExceededError, type PunctualError } from './errors.js';
import { discardAttempts, enqueueNextAttempts, scopeOf, type Actor, type TaskContext } from './task-context.js';
import { toTaskView, type TaskView } from './views.js';

/** One id's outcome in a bulk action. */
export type BulkActionResult = { id: string; ok: true } | { id: string; ok: false; statusCode: number; message: string };

/**
 * `POST /tasks/:id/<action>`: applies the action when the task's status allows it (409 naming the status otherwise),
 * then moves its queued work: the job of the old version is removed, and the new one queued when the task waits for a run.
 */
export async function actOnTask(context: TaskContext, actor: Actor, id: string, action: TaskAction): Promise<TaskView> {
  if (action === 'retry' || action === 'run') await checkRoomToRevive(context, actor, id);
  const { changed, refused } = await applyAndRequeue(context, actor, [id], action);
  const refusal = refused[0];
  if (refusal) throw refusalError(action, refusal);
  return toTaskView(changed[0]!);
}

/** `POST /tasks/bulk`: the same action on up to 100 tasks in one statement; each id succeeds or fails alone. */
export async function actOnTasks(
  context: TaskContext,
  actor: Actor,
  ids: readonly string[],
  action: BulkAction,
): Promise<BulkActionResult[]> {
  const { refused } = await applyAndRequeue(context, actor, ids, action);
  const failures = new Map(refused.map((refusal) => [refusal.id, refusalError(action, refusal)]));
  return ids.map((id) => {
    const error = failures.get(id);
    return error ? { id, ok: false, statusCode: error.statusCode, message: error.message } : { id, ok: true };
  });
}

async function applyAndRequeue(
  context: TaskContext,
  actor: Actor,
  ids: readonly string[],
  action: TaskAction | BulkAction,
): Promise<{ changed: TaskRow[]; refused: TaskActionRefusal[] }> {
  const result = await applyTaskAction(context.db, { scope: scopeOf(actor), ids, action });
  if (action !== 'reset-retries' && result.changed.length > 0) {
    // Deleted rows carry their own version; changed rows moved one past the version their queued job was made for.
    const stale = result.changed.map((task) => ({ id: task.id, version: action === 'delete' ? task.version : task.version - 1 }));
    await discardAttempts(context, stale);
    if (action !== 'delete') await enqueueNextAttempts(context, result.changed);
  }
  return result;
}

/**
 * `retry` and `run` bring a finished task back to life, so they count against its owner's quota like a create. Checked
 * before the action rather than in its statement: one racing a create may pass the quota by one.
 */
async function checkRoomToRevive(context: TaskContext, actor: Actor, id: string): Promise<void> {
  const task = await findTask(context.db, scopeOf(actor), id);
  if (task === null || !isTerminal(task.status as TaskStatus)) return;
  const max = context.limits.maxTasksPerUser;
  if ((await countLiveTasks(context.db, task.user_id, max)) >= max) throw new QuotaExceededError(max);
}

function refusalError(action: TaskAction | BulkAction, refusal: TaskActionRefusal): PunctualError {
  if (refusal.reason === 'not-found') return new NotFoundError('task');
  if (action === 'retry' && refusal.recurring && refusal.status === 'cancelled') {
    return new InvalidTransitionError(action, `${refusal.status} and recurring (retry re-drives one-off tasks)`);
  }
  return new InvalidTransitionError(action, refusal.status);
}
