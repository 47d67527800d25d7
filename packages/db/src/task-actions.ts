import {
  DEFAULT_MISFIRE_GRACE_MS,
  TASK_TRANSITIONS,
  endsSchedule,
  resumedRunAt,
  type BulkAction,
  type TaskAction,
  type TaskStatus,
} from '@punctual/scheduling';
import { type RawBuilder, type UpdateObject, sql } from 'kysely';
import type { Database, TaskRow } from './schema.js';
import { type DbExecutor, type Scope, withScope } from './scope.js';

export type TaskActionName = TaskAction | BulkAction;

/** Why an id was left alone: not visible to the scope (or gone), or in a status the action does not apply to. */
export type TaskActionRefusal =
  { id: string; reason: 'not-found' } | { id: string; reason: 'status'; status: TaskStatus; recurring: boolean };

/** A task an action applied to: the row as it is after the action (for `delete`: as it was). */
export type ActedTask = TaskRow & {
  /** The version the row had before the action, which a job queued for it carries. */
  previous_version: number;
};

export interface TaskActionResult {
  changed: ActedTask[];
  refused: TaskActionRefusal[];
}

/** Which tasks an action is for, and by whom. */
export interface TaskActionRequest {
  scope: Scope;
  ids: readonly string[];
  action: TaskActionName;
  /** MISFIRE_GRACE_MS (default 60 000): `resume` moves a recurring task's missed run by its misfire policy. */
  misfireGraceMs?: number;
}

/**
 * Applies an action to the tasks among `ids` that the scope may see and whose status allows it, in one statement
 * (an UPDATE, or a DELETE for `delete`, both built from the action's row of `TASK_TRANSITIONS`), and says why each
 * other id was refused. `resume` then moves, in the same transaction, the next run of each recurring task that missed
 * occurrences while paused as its misfire policy says (`resumedRunAt`).
 */
export async function applyTaskAction(db: DbExecutor, request: TaskActionRequest): Promise<TaskActionResult> {
  const ids = [...new Set(request.ids)];
  if (ids.length === 0) return { changed: [], refused: [] };
  if (request.action === 'resume') {
    const graceMs = request.misfireGraceMs ?? DEFAULT_MISFIRE_GRACE_MS;
    const resume = async (trx: DbExecutor) => {
      const result = await applyTaskActionIn(trx, request.scope, ids, request.action);
      return { ...result, changed: await rescheduleMissedRuns(trx, result.changed, graceMs) };
    };
    return db.isTransaction ? resume(db) : db.transaction().execute(resume);
  }
  if (!revivesTasks(request.action) || db.isTransaction) return applyTaskActionIn(db, request.scope, ids, request.action);
  // A revived task raises its owner's quota bound (a trigger of migration 0009), row by row in the order the UPDATE
  // meets them, while a batch of creates locks the bounds of its users in user-id order: an admin's bulk action over
  // several owners could deadlock with it. Locking the owners' bounds first, in the same order, cannot.
  return db.transaction().execute(async (trx) => {
    await sql`
      SELECT 1 FROM task_quota_bounds
       WHERE user_id IN (SELECT user_id FROM tasks WHERE id IN (${sql.join(ids)}))
       ORDER BY user_id FOR UPDATE`.execute(trx);
    return applyTaskActionIn(trx, request.scope, ids, request.action);
  });
}

/**
 * Resumed tasks whose next run is a missed occurrence: each recurring task waiting for its run's first attempt gets the
 * `nextRunAt` its misfire policy gives (`once` keeps it: the catch-up run). Returns `tasks` as they now are.
 */
async function rescheduleMissedRuns(db: DbExecutor, tasks: ActedTask[], graceMs: number): Promise<ActedTask[]> {
  const now = new Date();
  const moved = new Map<string, Date>();
  for (const task of tasks) {
    if (task.cron === null || task.attempts > 0 || task.next_run_at === null) continue;
    const schedule = { cron: task.cron, timezone: task.timezone };
    const nextRunAt = resumedRunAt({ schedule, misfire: task.misfire, graceMs, nextRunAt: task.next_run_at, now });
    if (nextRunAt.getTime() !== task.next_run_at.getTime()) moved.set(task.id, nextRunAt);
  }
  if (moved.size === 0) return tasks;
  const rows = [...moved].map(([id, at]) => sql`(${id}::uuid, ${at.toISOString()}::timestamptz)`);
  await sql`
    UPDATE tasks SET next_run_at = moved.next_run_at
      FROM (VALUES ${sql.join(rows)}) AS moved (id, next_run_at)
     WHERE tasks.id = moved.id`.execute(db);
  return tasks.map((task) => {
    const nextRunAt = moved.get(task.id);
    return nextRunAt ? { ...task, next_run_at: nextRunAt } : task;
  });
}

/** Whether the action can bring a finished task back to life (see the quota bound, migration 0009). */
function revivesTasks(action: TaskActionName): boolean {
  return action === 'retry' || action === 'run';
}

async function applyTaskActionIn(db: DbExecutor, scope: Scope, ids: string[], action: TaskActionName): Promise<TaskActionResult> {
  const request = { scope, action };
  const rule = TASK_TRANSITIONS[action];

  let changed: ActedTask[];
  if (action === 'delete') {
    // The task's logs go with it, by foreign key.
    const query = withScope(db.deleteFrom('tasks').where('id', 'in', ids).where('status', 'in', rule.from), request.scope);
    changed = await query
      .returningAll()
      .returning(sql<number>`version`.as('previous_version'))
      .execute();
  } else {
    const { changes, previousVersion } = updateOf(action);
    let query = withScope(db.updateTable('tasks').set(changes).where('id', 'in', ids).where('status', 'in', rule.from), request.scope);
    if (rule.oneOffOnly) query = query.where('cron', 'is', null);
    changed = await query.returningAll().returning(previousVersion.as('previous_version')).execute();
  }

  const done = new Set(changed.map((task) => task.id));
  const rest = ids.filter((id) => !done.has(id));
  if (rest.length === 0) return { changed, refused: [] };
  const lookup = withScope(db.selectFrom('tasks').select(['id', 'status', 'cron']).where('id', 'in', rest), request.scope);
  const found = new Map((await lookup.execute()).map((row) => [row.id, row]));
  const refused = rest.map((id): TaskActionRefusal => {
    const row = found.get(id);
    return row ? { id, reason: 'status', status: row.status, recurring: row.cron !== null } : { id, reason: 'not-found' };
  });
  return { changed, refused };
}

/**
 * What an action writes, read off its row of the transition table, and the expression of the version the row had
 * before it (taken from the same flag, in the same statement, so it is exact). Re-drive (failed-task-redrive.ts) writes
 * the `retry` action's.
 */
export function updateOf(action: Exclude<TaskActionName, 'delete'>): {
  changes: UpdateObject<Database, 'tasks'>;
  previousVersion: RawBuilder<number>;
} {
  const rule = TASK_TRANSITIONS[action];
  const changes: UpdateObject<Database, 'tasks'> = { updated_at: sql`now()` };
  if (rule.to === 'resumed') {
    // Back to what the run was waiting for: a next attempt of a run with attempts behind it, or its first one.
    changes.status = sql`CASE WHEN attempts > 0 THEN 'retrying' ELSE 'pending' END`;
  } else if (rule.to !== 'unchanged' && rule.to !== 'removed') {
    changes.status = rule.to;
  }
  if (rule.startsRun) Object.assign(changes, { run_id: sql`gen_random_uuid()`, next_run_at: sql`now()`, lease_expires_at: null });
  if (endsSchedule(action)) Object.assign(changes, { next_run_at: null, lease_expires_at: null });
  if (rule.resetsAttempts) changes.attempts = 0;
  if (rule.holdAfterRun === 'clear') changes.hold_after_run = false;
  if (rule.holdAfterRun === 'set-when-paused') changes.hold_after_run = sql`(status = 'paused' OR hold_after_run)`;
  const bumps = rule.bumpsVersion === true;
  if (bumps) changes.version = sql`version + 1`;
  return { changes, previousVersion: bumps ? sql<number>`version - 1` : sql<number>`version` };
}
