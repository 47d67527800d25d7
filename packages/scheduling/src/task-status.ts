/** Every status a task can be in (see the API contract's status table). */
export const TASK_STATUSES = ['pending', 'running', 'retrying', 'completed', 'failed', 'cancelled', 'paused'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses a task never leaves by itself. */
const TERMINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];

/** Statuses in which a job in the queue is expected: the task is waiting for `nextRunAt`. */
export const SCHEDULED_STATUSES: readonly TaskStatus[] = ['pending', 'retrying'];

export const ATTEMPT_OUTCOMES = ['succeeded', 'failed'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
