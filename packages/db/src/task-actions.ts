import { ALLOWED_FROM, type BulkAction, type TaskAction, type TaskStatus } from '@punctual/scheduling';
import { type UpdateObject, sql } from 'kysely';
import type { Database, TaskRow } from './schema.js';
import { type DbExecutor, type Scope, withScope } from './scope.js';

export type TaskActionName = TaskAction | BulkAction;

/** Why an id was left alone: not visible to the scope (or gone), or in a status the action does not apply to. */
export type TaskActionRefusal =
  { id: string; reason: 'not-found' } | { id: string; reason: 'status'; status: TaskStatus; recurring: boolean };

export interface TaskActionResult {
  /** The rows as they are after the action (for `delete`: as they were). */
  changed: TaskRow[];
  refused: TaskActionRefusal[];
}

/**
 * What each action writes. Every change of what should fire bumps `version`, so a job queued before it is dropped by
 * the worker that picks it up. `reset-retries` changes no schedule: only the attempt count of the current run.
 */
const CHANGES: Record<Exclude<TaskActionName, 'delete'>, UpdateObject<Database, 'tasks'>> = {
  // One extra run now: a fresh run id and attempt count; a cron schedule resumes from its next occurrence afterwards.
  run: {
    status: 'pending',
    run_id: sql`gen_random_uuid()`,
    attempts: 0,
    next_run_at: sql`now()`,
    lease_expires_at: null,
    hold_after_run: sql`(status = 'paused' OR hold_after_run)`,
    version: sql`version + 1`,
  },
  pause: { status: 'paused', version: sql`version + 1` },
  // Back to what it was waiting for; a nextRunAt already past is queued with no delay, so it runs at once.
  resume: {
    status: sql`CASE WHEN attempts > 0 THEN 'retrying' ELSE 'pending' END`,
    hold_after_run: false,
    version: sql`version + 1`,
  },
  cancel: { status: 'cancelled', next_run_at: null, lease_expires_at: null, hold_after_run: false, version: sql`version + 1` },
  retry: {
    status: 'pending',
    run_id: sql`gen_random_uuid()`,
    attempts: 0,
    next_run_at: sql`now()`,
    lease_expires_at: null,
    hold_after_run: false,
    version: sql`version + 1`,
  },
  'reset-retries': { attempts: 0 },
};

/**
 * Applies an action to the tasks among `ids` that the scope may see and whose status allows it, in one statement,
 * and says why each other id was refused. `retry` applies to one-off tasks only.
 */
export async function applyTaskAction(
  db: DbExecutor,
  request: { scope: Scope; ids: readonly string[]; action: TaskActionName },
): Promise<TaskActionResult> {
  const ids = [...new Set(request.ids)];
  if (ids.length === 0) return { changed: [], refused: [] };
  const allowed = ALLOWED_FROM[request.action] as readonly TaskStatus[];

  let changed: TaskRow[];
  if (request.action === 'delete') {
    const query = withScope(db.deleteFrom('tasks').where('id', 'in', ids), request.scope);
    changed = await query.returningAll().execute();
  } else {
    let query = withScope(
      db
        .updateTable('tasks')
        .set({ ...CHANGES[request.action], updated_at: sql`now()` })
        .where('id', 'in', ids)
        .where('status', 'in', allowed),
      request.scope,
    );
    if (request.action === 'retry') query = query.where('cron', 'is', null);
    changed = await query.returningAll().execute();
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
