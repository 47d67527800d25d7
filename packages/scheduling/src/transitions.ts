import type { TaskStatus } from './task-status.js';

/** The actions of `POST /api/v1/tasks/:id/<action>`. */
export const TASK_ACTIONS = ['run', 'pause', 'resume', 'cancel', 'retry', 'reset-retries'] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

/** What `POST /api/v1/tasks/bulk` may do to many tasks at once. */
export const BULK_ACTIONS = ['pause', 'resume', 'cancel', 'delete', 'run'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/**
 * What a client may do to a task, and the statuses it may do it from (the contract's action table).
 * `retry` also needs a one-off task: a recurring task is never completed or failed, and a cancelled one stays cancelled.
 */
export const ALLOWED_FROM = {
  update: ['pending', 'retrying', 'paused'],
  run: ['pending', 'retrying', 'completed', 'failed', 'paused'],
  pause: ['pending', 'retrying'],
  resume: ['paused'],
  cancel: ['pending', 'running', 'retrying', 'paused'],
  retry: ['failed', 'completed', 'cancelled'],
  'reset-retries': ['pending', 'running', 'retrying', 'completed', 'failed', 'cancelled', 'paused'],
  delete: ['pending', 'running', 'retrying', 'completed', 'failed', 'cancelled', 'paused'],
} as const satisfies Record<'update' | 'delete' | TaskAction, readonly TaskStatus[]>;

export type TaskOperation = keyof typeof ALLOWED_FROM;

export function isAllowed(operation: TaskOperation, status: TaskStatus): boolean {
  return (ALLOWED_FROM[operation] as readonly TaskStatus[]).includes(status);
}
