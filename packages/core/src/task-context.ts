import type { Database, Kysely, Scope, TaskRow } from '@punctual/db';
import { taskAttemptJobId, type TaskQueue } from '@punctual/queue';
import type { TaskDefaults } from './task-input.js';

/** Who is asking: users act on their own tasks, admins on everyone's. */
export interface Actor {
  userId: string;
  role: 'user' | 'admin';
}

export interface Logger {
  warn(details: object, message: string): void;
}

/** What the task operations need, passed in by the app that runs them. */
export interface TaskContext {
  db: Kysely<Database>;
  queue: TaskQueue;
  /** Seals tokens and sensitive header values at rest. */
  secretsKey: Buffer;
  defaults: TaskDefaults;
  logger: Logger;
}

/** The rows an actor may see; an admin may narrow to one user. */
export function scopeOf(actor: Actor, userId?: string): Scope {
  return actor.role === 'admin' ? { kind: 'admin', userId } : { kind: 'user', userId: actor.userId };
}

/**
 * Puts the task's next attempt in the queue when it is waiting for one. Runs after the row is committed; a failure
 * here loses nothing (Postgres has the schedule), so it is logged, not thrown.
 */
export async function enqueueNextAttempt(context: Pick<TaskContext, 'queue' | 'logger'>, task: TaskRow): Promise<void> {
  if (task.status !== 'pending' && task.status !== 'retrying') return;
  try {
    await context.queue.enqueueAttempt({ taskId: task.id, runId: task.run_id, version: task.version }, task.next_run_at);
  } catch (error) {
    context.logger.warn({ err: error, taskId: task.id }, 'could not enqueue the next attempt; it stays scheduled in Postgres');
  }
}

/** Removes a job that can no longer run (its task moved to another version or is gone). Best effort: a stale job is dropped by the worker anyway. */
export async function discardAttempt(context: Pick<TaskContext, 'queue'>, task: Pick<TaskRow, 'id' | 'version'>): Promise<void> {
  try {
    await context.queue.queue.remove(taskAttemptJobId({ taskId: task.id, version: task.version }));
  } catch {
    // Locked by a worker right now, or Redis is away: the version fence makes the job harmless.
  }
}
