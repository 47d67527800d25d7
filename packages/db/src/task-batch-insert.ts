import { executePrepared, preparedStatement } from './connection.js';
import type { Database, NewTaskRow, TaskRow } from './schema.js';
import type { Kysely } from 'kysely';

/** What a batched create writes for each task: the row `newTaskRow` builds (its jsonb columns as JSON text). */
export type BatchedTaskRow = Required<
  Pick<
    NewTaskRow,
    | 'id'
    | 'user_id'
    | 'name'
    | 'description'
    | 'url'
    | 'method'
    | 'headers'
    | 'secret_headers'
    | 'body'
    | 'token'
    | 'scheduled_at'
    | 'cron'
    | 'timezone'
    | 'next_run_at'
    | 'run_id'
    | 'max_retries'
    | 'backoff'
    | 'timeout_ms'
    | 'tags'
    | 'notify'
    | 'callbacks'
    | 'success_codes'
    | 'retry_on'
    | 'flow_control'
    | 'misfire'
    | 'template'
  >
>;

/**
 * The columns of one batched row, in the order of the record the statement unpacks. jsonb columns travel as text and
 * are cast in SQL, because the row already holds them as JSON text.
 */
const COLUMNS = [
  ['id', 'uuid'],
  ['user_id', 'uuid'],
  ['name', 'text'],
  ['description', 'text'],
  ['url', 'text'],
  ['method', 'text'],
  ['headers', 'jsonb'],
  ['secret_headers', 'text'],
  ['body', 'jsonb'],
  ['token', 'text'],
  ['scheduled_at', 'timestamptz'],
  ['cron', 'text'],
  ['timezone', 'text'],
  ['next_run_at', 'timestamptz'],
  ['run_id', 'uuid'],
  ['max_retries', 'int'],
  ['backoff', 'jsonb'],
  ['timeout_ms', 'int'],
  ['tags', 'text[]'],
  ['notify', 'jsonb'],
  ['callbacks', 'jsonb'],
  ['success_codes', 'jsonb'],
  ['retry_on', 'jsonb'],
  ['flow_control', 'jsonb'],
  ['misfire', 'text'],
  ['template', 'boolean'],
] as const satisfies readonly (readonly [keyof BatchedTaskRow, string])[];

/**
 * One statement for a whole batch, so its text is fixed and prepared once per connection: the rows come as one JSON
 * array. A user's rows are inserted only when the user's quota bound leaves room for all of them
 * (`live_at_most + rows <= max`, see migration 0009), the bound's row locked until commit so that concurrent creates of
 * the user are compared one after the other; the insert trigger then adds the rows to it. The rows of users without a
 * bound, or too near the quota by it, are left out, for the caller to create one at a time with a count.
 * The bounds are locked in user id order, so two batches of the same users cannot deadlock.
 */
export const INSERT_TASKS_WITHIN_QUOTA = preparedStatement(
  'tasks.insert-batch-within-quota',
  `WITH input AS (
     SELECT * FROM json_to_recordset($1::json) AS r(${COLUMNS.map(([name, type]) => `${name} ${type === 'jsonb' ? 'text' : type}`).join(', ')})
   ),
   wanted AS (SELECT user_id, count(*) AS n FROM input GROUP BY user_id),
   bounds AS (
     SELECT b.user_id, b.live_at_most FROM task_quota_bounds b
     WHERE b.user_id = ANY (ARRAY(SELECT user_id FROM wanted))
     ORDER BY b.user_id
     FOR UPDATE
   ),
   roomy AS (
     SELECT wanted.user_id FROM wanted JOIN bounds USING (user_id) WHERE bounds.live_at_most + wanted.n <= $2
   )
   INSERT INTO tasks (${COLUMNS.map(([name]) => name).join(', ')})
   SELECT ${COLUMNS.map(([name, type]) => (type === 'jsonb' ? `${name}::jsonb` : name)).join(', ')}
   FROM input WHERE user_id IN (SELECT user_id FROM roomy)
   RETURNING *`,
);

/**
 * Inserts the rows of users whose quota bound leaves room for them in one autocommit statement and returns those rows
 * as stored; the rows of the other users are not written. Throws when the statement fails, having written nothing.
 */
export async function insertTasksWithinQuota(
  db: Kysely<Database>,
  rows: readonly BatchedTaskRow[],
  quota: { maxTasks: number },
): Promise<TaskRow[]> {
  if (rows.length === 0) return [];
  return executePrepared<TaskRow>(db, INSERT_TASKS_WITHIN_QUOTA, batchInsertValues(rows, quota));
}

/** The statement `insertTasksWithinQuota` runs and its parameters (the query-plan test explains them). */
export function batchInsertValues(rows: readonly BatchedTaskRow[], quota: { maxTasks: number }): unknown[] {
  return [`[${rows.map(rowJson).join(',')}]`, quota.maxTasks];
}

function rowJson(row: BatchedTaskRow): string {
  const record: Record<string, unknown> = {};
  for (const [name] of COLUMNS) record[name] = row[name];
  return JSON.stringify(record);
}
