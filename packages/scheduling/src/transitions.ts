import { TASK_STATUSES, isTerminal, type TaskStatus } from './task-status.js';

/** The actions of `POST /api/v1/tasks/:id/<action>`. */
export const TASK_ACTIONS = ['run', 'pause', 'resume', 'cancel', 'retry', 'reset-retries'] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

/** What `POST /api/v1/tasks/bulk` may do to many tasks at once. */
export const BULK_ACTIONS = ['pause', 'resume', 'cancel', 'delete', 'run'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** Everything a client may do to an existing task: the actions, an update of its fields, and its removal. */
export const TASK_OPERATIONS = ['update', 'delete', ...TASK_ACTIONS] as const;
export type TaskOperation = (typeof TASK_OPERATIONS)[number];

/**
 * The status an operation leaves: a fixed one, `unchanged`, `resumed` (retrying when the current run has attempts,
 * else pending), or `removed` (the row is gone).
 */
export type TransitionTarget = TaskStatus | 'unchanged' | 'resumed' | 'removed';

/** One row of the contract's action table, with what each operation writes. */
export interface TaskTransition {
  /** Statuses the operation applies from; any other is refused (409 naming the status). */
  readonly from: readonly TaskStatus[];
  /** Applies to one-off tasks only: a recurring task is never re-driven. */
  readonly oneOffOnly: boolean;
  readonly to: TransitionTarget;
  /** A fresh run now: a new run id, attempts 0, `nextRunAt` now, any lease ended. */
  readonly startsRun: boolean;
  /** Sets the current run's attempt count to 0 (a new run does so too). */
  readonly resetsAttempts: boolean;
  /**
   * What becomes of the "pause again after this run" mark: `keep`, `clear`, or `set-when-paused` (a run made from
   * `paused` returns to `paused` after it).
   */
  readonly holdAfterRun: 'keep' | 'clear' | 'set-when-paused';
  /**
   * Whether `version` moves on, so a job queued for the old version is dropped by the worker that picks it up and the
   * API withdraws it. `update` bumps it only when the schedule changes; `delete` removes the row and its job instead.
   */
  readonly bumpsVersion: boolean | 'when-rescheduled';
  /** The OpenAPI summary of the operation's route. */
  readonly summary: string;
  /** What the operation does, for the OpenAPI description; the statuses it applies from are added from `from`. */
  readonly description: string;
}

const ANY_STATUS = TASK_STATUSES;

/**
 * The one table of what a client may do to a task (the contract's "Actions" table, plus update and delete): where
 * each operation applies and what it writes. The SQL of the actions, the 409 messages and the OpenAPI text of the
 * routes are all derived from it.
 */
export const TASK_TRANSITIONS: Readonly<Record<TaskOperation, TaskTransition>> = {
  update: {
    from: ['pending', 'retrying', 'paused'],
    oneOffOnly: false,
    to: 'unchanged',
    startsRun: false,
    resetsAttempts: false,
    holdAfterRun: 'keep',
    bumpsVersion: 'when-rescheduled',
    summary: 'Change any create field of a task that waits or is paused; a new scheduledAt reschedules',
    description:
      'URL, headers, body and retry settings take effect from the next attempt. A change of scheduledAt, cron or timezone ' +
      'reschedules: the old time never fires.',
  },
  delete: {
    from: ANY_STATUS,
    oneOffOnly: false,
    to: 'removed',
    startsRun: false,
    resetsAttempts: false,
    holdAfterRun: 'keep',
    bumpsVersion: false,
    summary: 'Remove a task, its queued work and its logs; an attempt in flight may finish, its result is dropped',
    description: 'The queued attempt is withdrawn; a worker that picks it up anyway drops it without a call.',
  },
  run: {
    from: ['pending', 'retrying', 'completed', 'failed', 'paused'],
    oneOffOnly: false,
    to: 'pending',
    startsRun: true,
    resetsAttempts: true,
    holdAfterRun: 'set-when-paused',
    bumpsVersion: true,
    summary: 'Run now: one extra, fresh run',
    description:
      'Starts a fresh run now (new runId, attempts 0). A recurring task keeps its schedule: after this run it waits for its next ' +
      'occurrence. A pending one-off runs now instead of later; a completed or failed one-off runs again; a retrying task abandons ' +
      'its current run for the new one. A paused task makes this one run and then returns to paused.',
  },
  pause: {
    from: ['pending', 'retrying'],
    oneOffOnly: false,
    to: 'paused',
    startsRun: false,
    resetsAttempts: false,
    holdAfterRun: 'keep',
    bumpsVersion: true,
    summary: 'Pause a task that waits for a run: nothing fires until it is resumed',
    description: 'The queued attempt is withdrawn; a worker that picks it up anyway drops it without a call.',
  },
  resume: {
    from: ['paused'],
    oneOffOnly: false,
    to: 'resumed',
    startsRun: false,
    resetsAttempts: false,
    holdAfterRun: 'clear',
    bumpsVersion: true,
    summary: 'Resume a paused task',
    description:
      'A nextRunAt already past runs at once. A recurring task that missed occurrences while paused (by more than ' +
      'MISFIRE_GRACE_MS) follows its misfire policy: once (default) runs one catch-up run, skip runs none and waits for ' +
      'the next occurrence not yet missed, all runs each (the 100 most recent), oldest first; then it keeps its schedule.',
  },
  cancel: {
    from: ['pending', 'running', 'retrying', 'paused'],
    oneOffOnly: false,
    to: 'cancelled',
    startsRun: false,
    resetsAttempts: false,
    holdAfterRun: 'clear',
    bumpsVersion: true,
    summary: 'Cancel a task that is not terminal: nothing fires afterwards',
    description: 'Terminal. An attempt already in flight finishes and is logged, but its result is dropped and nothing follows it.',
  },
  retry: {
    from: ['failed', 'completed', 'cancelled'],
    oneOffOnly: true,
    to: 'pending',
    startsRun: true,
    resetsAttempts: true,
    holdAfterRun: 'clear',
    bumpsVersion: true,
    summary: 'Re-drive a finished one-off task as a fresh run now',
    description: 'A new runId and attempts reset; it runs at once.',
  },
  'reset-retries': {
    from: ANY_STATUS,
    oneOffOnly: false,
    to: 'unchanged',
    startsRun: false,
    resetsAttempts: true,
    holdAfterRun: 'keep',
    bumpsVersion: false,
    summary: "Set the current run's attempt count to 0",
    description: 'The schedule and the queued attempt do not change. A retrying task gets its full 1 + maxRetries attempts again.',
  },
};

/** What a transition needs to know of a task. */
export interface TransitionSubject {
  status: TaskStatus;
  /** Has a cron schedule. */
  recurring: boolean;
  /** Attempts made in the current run. */
  attempts: number;
}

/**
 * Why the operation does not apply to the task, as the 409 message says it ("cannot pause a task that is running"),
 * or null when it applies.
 */
export function transitionRefusal(operation: TaskOperation, task: Pick<TransitionSubject, 'status' | 'recurring'>): string | null {
  const rule = TASK_TRANSITIONS[operation];
  const applies = rule.from.includes(task.status) && !(rule.oneOffOnly && task.recurring);
  return applies ? null : refusalMessage(operation, task);
}

/** The 409 message for a task the operation was refused on, naming its status (and that it recurs, where that is why). */
export function refusalMessage(operation: TaskOperation, task: Pick<TransitionSubject, 'status' | 'recurring'>): string {
  const rule = TASK_TRANSITIONS[operation];
  if (rule.oneOffOnly && task.recurring && rule.from.includes(task.status)) {
    return `cannot ${operation} a task that is ${task.status} and recurring (${operation} re-drives one-off tasks)`;
  }
  return `cannot ${operation} a task that is ${task.status}`;
}

/**
 * The status a task has after the operation: null when the operation removes it. Call only when
 * `transitionRefusal` found none.
 */
export function statusAfter(operation: TaskOperation, task: Pick<TransitionSubject, 'status' | 'attempts'>): TaskStatus | null {
  const { to } = TASK_TRANSITIONS[operation];
  if (isStatus(to)) return to;
  if (to === 'resumed') return task.attempts > 0 ? 'retrying' : 'pending';
  return to === 'unchanged' ? task.status : null;
}

/** Whether the operation leaves a terminal status, so nothing fires afterwards: it clears `nextRunAt` and any lease. */
export function endsSchedule(operation: TaskOperation): boolean {
  const { to } = TASK_TRANSITIONS[operation];
  return isStatus(to) && isTerminal(to);
}

const TARGET_PROSE: Record<Exclude<TransitionTarget, TaskStatus>, string> = {
  unchanged: 'the same status',
  resumed: 'pending (retrying when the current run has attempts)',
  removed: 'removed',
};

/**
 * The sentence of the OpenAPI description that says where the operation applies and what it leaves, read off the
 * table: "pending | retrying → paused."
 */
export function describeTransition(operation: TaskOperation): string {
  const rule = TASK_TRANSITIONS[operation];
  const from = rule.from.length === TASK_STATUSES.length ? 'any status' : rule.from.join(' | ');
  const oneOff = rule.oneOffOnly ? ' (one-off tasks only)' : '';
  return `${from}${oneOff} → ${isStatus(rule.to) ? rule.to : TARGET_PROSE[rule.to]}.`;
}

function isStatus(target: TransitionTarget): target is TaskStatus {
  return (TASK_STATUSES as readonly string[]).includes(target);
}
