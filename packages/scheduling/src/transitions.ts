import type { TaskStatus } from './task-status.js';

/** What a client may do to a task, and the statuses it may do it from. */
export const ALLOWED_FROM = {
  update: ['pending', 'retrying', 'paused'],
} as const satisfies Record<string, readonly TaskStatus[]>;

export type TaskOperation = keyof typeof ALLOWED_FROM;

export function isAllowed(operation: TaskOperation, status: TaskStatus): boolean {
  return (ALLOWED_FROM[operation] as readonly TaskStatus[]).includes(status);
}
