import type { Database, Kysely, Scope, TaskRow } from '@punctual/db';
import type { TaskQueue } from '@punctual/queue';
import { SCHEDULED_STATUSES } from '@punctual/scheduling';
import type { TargetPolicy, TaskDefaults } from './task-input.js';

/** Who is asking: users act on their own tasks, admins on everyone's. */
export interface Actor {
  userId: string;
  role: 'user' | 'admin';
}

export interface Logger {
  warn(details: object, message: string): void;
}

/** What the task operations need, passed in by the app that runs them. */
export interface TaskContext extends TargetPolicy {
  db: Kysely<Database>;
  queue: TaskQueue;
  /** Seals tokens and sensitive header values at rest (and signing secrets). */
  secretsKey: Buffer;
  /** The key before a rotation: opens what it sealed (a signing secret read through the API). */
  secretsKeyPrevious?: Buffer | null;
  defaults: TaskDefaults;
  limits: TaskLimits;
  /** Domains `notify.email` may name besides the owner's own address (NOTIFY_EMAIL_DOMAINS, lower-case). */
  allowedEmailDomains: readonly string[];
  /** MISFIRE_GRACE_MS (default 60 000): a resumed recurring task's missed run follows its misfire policy. */
  misfireGraceMs?: number;
  logger: Logger;
}

/** What one user may hold and ask for. */
export interface TaskLimits {
  /** Live (non-terminal) tasks per user. */
  maxTasksPerUser: number;
  /** The shortest gap allowed between two runs of a cron schedule. */
  minCronIntervalSeconds: number;
}

/** The rows an actor may see; an admin may narrow to one user. */
export function scopeOf(actor: Actor, userId?: string): Scope {
  return actor.role === 'admin' ? { kind: 'admin', userId } : { kind: 'user', userId: actor.userId };
}

/**
 * The scope of a list or stats request that may carry a `?userId=` filter, or null when nothing can match: a user's
 * filter for someone else. The filter never widens a user's view, and the empty answer says nothing about that user.
 */
export function filteredScopeOf(actor: Actor, userId?: string): Scope | null {
  if (actor.role !== 'admin' && userId !== undefined && userId !== actor.userId) return null;
  return scopeOf(actor, userId);
}

/** What queueing a task's next attempt reads of it. */
export type ScheduledTask = Pick<TaskRow, 'id' | 'run_id' | 'version' | 'status' | 'next_run_at'>;

/**
 * Puts the tasks' next attempts in the queue, for those waiting for one. Runs after the rows are committed; a failure
 * here loses nothing (Postgres has the schedule and the reconciler repairs Redis from it), so it is logged, not thrown.
 */
export async function enqueueNextAttempts(context: Pick<TaskContext, 'queue' | 'logger'>, tasks: readonly ScheduledTask[]): Promise<void> {
  const waiting = tasks.filter((task) => SCHEDULED_STATUSES.includes(task.status));
  if (waiting.length === 0) return;
  try {
    await context.queue.enqueueAttempts(
      waiting.map((task) => ({ job: { taskId: task.id, runId: task.run_id, version: task.version }, runAt: task.next_run_at })),
    );
  } catch (error) {
    context.logger.warn(
      { err: error, taskIds: waiting.map((task) => task.id) },
      'could not enqueue attempts; they stay scheduled in Postgres',
    );
  }
}

export async function enqueueNextAttempt(context: Pick<TaskContext, 'queue' | 'logger'>, task: ScheduledTask): Promise<void> {
  await enqueueNextAttempts(context, [task]);
}

/** Removes jobs that can no longer run (their task moved to another version or is gone). Best effort: a stale job is dropped by the worker anyway. */
export async function discardAttempts(
  context: Pick<TaskContext, 'queue'>,
  tasks: readonly Pick<TaskRow, 'id' | 'version'>[],
): Promise<void> {
  try {
    await context.queue.discardAttempts(tasks.map((task) => ({ taskId: task.id, version: task.version })));
  } catch {
    // Redis is away: the version fence makes the jobs harmless, and they expire with their delay.
  }
}

export async function discardAttempt(context: Pick<TaskContext, 'queue'>, task: Pick<TaskRow, 'id' | 'version'>): Promise<void> {
  await discardAttempts(context, [task]);
}
