import { executePrepared, preparedStatement } from './connection.js';
import type { Database, NewTaskRow, TaskRow } from './schema.js';
import type { Kysely } from 'kysely';
import { LIVE_STATUSES } from './task-quota.js';

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
] as const satisfies readonly (readonly [keyof BatchedTaskRow, string])[];

/**
 * One statement for a whole batch, so its text is fixed and prepared once per connection: the rows come as one JSON
 * array. A user's rows are inserted only while the user is far enough below the quota that a create need not take the
 * quota lock (`live + margin + rows of this batch - 1 < max`, the test each of them would pass one by one); the rows of
 * users nearer the quota are left out, for the caller to create one at a time under the lock.
 */
export const INSERT_TASKS_WITHIN_QUOTA = preparedStatement(
  'tasks.insert-batch-within-quota',
  `WITH input AS (
     SELECT * FROM json_to_recordset($1::json) AS r(${COLUMNS.map(([name, type]) => `${name} ${type === 'jsonb' ? 'text' : type}`).join(', ')})
   ),
   roomy AS (
     SELECT wanted.user_id
     FROM (SELECT user_id, count(*) AS n FROM input GROUP BY user_id) wanted
     WHERE (SELECT count(*) FROM (SELECT 1 FROM tasks t WHERE t.user_id = wanted.user_id AND t.status = ANY($2::text[]) LIMIT $3) live)
           + $4 + wanted.n - 1 < $3
   )
   INSERT INTO tasks (${COLUMNS.map(([name]) => name).join(', ')})
   SELECT ${COLUMNS.map(([name, type]) => (type === 'jsonb' ? `${name}::jsonb` : name)).join(', ')}
   FROM input WHERE user_id IN (SELECT user_id FROM roomy)
   RETURNING *`,
);

/**
 * Inserts the rows of users far below their quota in one autocommit statement and returns those rows as stored; the
 * rows of the other users are not written. Throws when the statement fails, having written nothing.
 */
export async function insertTasksWithinQuota(
  db: Kysely<Database>,
  rows: readonly BatchedTaskRow[],
  quota: { maxTasks: number; unlockedMargin: number },
): Promise<TaskRow[]> {
  if (rows.length === 0) return [];
  return executePrepared<TaskRow>(db, INSERT_TASKS_WITHIN_QUOTA, batchInsertValues(rows, quota));
}

/** The statement `insertTasksWithinQuota` runs and its parameters (the query-plan test explains them). */
export function batchInsertValues(rows: readonly BatchedTaskRow[], quota: { maxTasks: number; unlockedMargin: number }): unknown[] {
  return [`[${rows.map(rowJson).join(',')}]`, LIVE_STATUSES, quota.maxTasks, quota.unlockedMargin];
}

function rowJson(row: BatchedTaskRow): string {
  const record: Record<string, unknown> = {};
  for (const [name] of COLUMNS) record[name] = row[name];
  return JSON.stringify(record);
}
