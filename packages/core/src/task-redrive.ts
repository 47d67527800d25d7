import { countFailedPage, redriveFailedPage, type FailedTaskCursor, type FailedTaskFilter } from '@punctual/db';
import { InvalidInputError } from './errors.js';
import { discardAttempts, enqueueNextAttempts, filteredScopeOf, type Actor, type TaskContext } from './task-context.js';
import { parseScheduledAt } from './task-input.js';

/** At most this many failed tasks per request; a larger backlog takes more requests (the window moves on by itself). */
export const MAX_REDRIVE_TASKS = 10_000;
/** Tasks per statement: each page is one UPDATE over an index range, never re-read. */
export const REDRIVE_PAGE_SIZE = 1_000;

export interface RetryFailedRequest {
  tag?: string;
  since?: string;
  until?: string;
  dryRun?: boolean;
  userId?: string;
}

export interface RetryFailedResult {
  matched: number;
  retried: number;
}

/**
 * `POST /tasks/retry-failed`: re-drives the actor's failed one-off tasks (an admin's: everyone's, or `userId`'s) whose
 * last attempt started in [since, until), with `tag` when given, oldest first and at most 10,000, each as the `retry`
 * action does (a new run now, attempts 0, version + 1, its job queued after the page commits). An owner's tasks beyond
 * MAX_TASKS_PER_USER live tasks are matched but not retried. `dryRun` counts the same (the quota as it stands) and
 * changes nothing. A user's `userId` of someone else matches nothing, as in lists.
 */
export async function retryFailedTasks(context: TaskContext, actor: Actor, request: RetryFailedRequest): Promise<RetryFailedResult> {
  const since = request.since === undefined ? undefined : parseScheduledAt(request.since, 'body/since');
  const until = request.until === undefined ? undefined : parseScheduledAt(request.until, 'body/until');
  if (since !== undefined && until !== undefined && since > until) {
    throw new InvalidInputError('body/until', 'must not be before since');
  }
  const scope = filteredScopeOf(actor, request.userId);
  if (scope === null) return { matched: 0, retried: 0 };
  const filter: FailedTaskFilter = { scope, tag: request.tag, since, until };
  return request.dryRun === true ? countRedrive(context, filter) : redrive(context, filter);
}

async function redrive(context: TaskContext, filter: FailedTaskFilter): Promise<RetryFailedResult> {
  let matched = 0;
  let retried = 0;
  let after: FailedTaskCursor | null = null;
  do {
    const page = await redriveFailedPage(context.db, {
      ...filter,
      after,
      limit: Math.min(REDRIVE_PAGE_SIZE, MAX_REDRIVE_TASKS - matched),
      maxTasksPerUser: context.limits.maxTasksPerUser,
    });
    matched += page.matched;
    retried += page.retried.length;
    after = page.next;
    // Committed (each page is its own statement): the queue follows, as after the retry action.
    if (page.retried.length > 0) {
      await discardAttempts(
        context,
        page.retried.map((task) => ({ id: task.id, version: task.previous_version })),
      );
      await enqueueNextAttempts(context, page.retried);
    }
  } while (after !== null && matched < MAX_REDRIVE_TASKS);
  return { matched, retried };
}

async function countRedrive(context: TaskContext, filter: FailedTaskFilter): Promise<RetryFailedResult> {
  let matched = 0;
  let retried = 0;
  let after: FailedTaskCursor | null = null;
  /** Per owner: tasks of theirs already counted as retried in earlier pages. */
  const taken = new Map<string, number>();
  do {
    const page = await countFailedPage(context.db, {
      ...filter,
      after,
      limit: Math.min(REDRIVE_PAGE_SIZE, MAX_REDRIVE_TASKS - matched),
      maxTasksPerUser: context.limits.maxTasksPerUser,
    });
    matched += page.matched.length;
    for (const task of page.matched) {
      const used = taken.get(task.user_id) ?? 0;
      if (used < (page.room.get(task.user_id) ?? 0)) {
        taken.set(task.user_id, used + 1);
        retried += 1;
      }
    }
    after = page.next;
  } while (after !== null && matched < MAX_REDRIVE_TASKS);
  return { matched, retried };
}
