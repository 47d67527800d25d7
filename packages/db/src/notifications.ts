import type { Kysely } from 'kysely';
import type { Database, NotificationRow } from './schema.js';

export interface TaskNotificationListQuery {
  taskId: string;
  page: number;
  limit: number;
}

/** A listed notification: every column but the payload and the log id, which the list does not show. */
export type ListedNotification = Omit<NotificationRow, 'payload' | 'log_id'>;

/**
 * One task's emails and callbacks, newest first (ties by id), paginated like the task's logs. The caller has checked
 * that the task is the actor's. Both statements are ranges of notifications_task_created_idx (task_id, created_at DESC, id DESC).
 */
export async function listTaskNotifications(
  db: Kysely<Database>,
  query: TaskNotificationListQuery,
): Promise<{ rows: ListedNotification[]; total: number }> {
  const queries = taskNotificationListQueries(db, query);
  const [rows, count] = await Promise.all([queries.rows.execute(), queries.total.executeTakeFirstOrThrow()]);
  return { rows, total: Number(count.total) };
}

/** The two statements behind `listTaskNotifications`, unexecuted, for the query-plan test. */
export function taskNotificationListQueries(db: Kysely<Database>, query: TaskNotificationListQuery) {
  const base = db.selectFrom('notifications').where('task_id', '=', query.taskId);
  return {
    rows: base
      .select([
        'id',
        'task_id',
        'user_id',
        'run_id',
        'attempt',
        'channel',
        'event',
        'recipient',
        'status',
        'attempts',
        'last_error',
        'locked_until',
        'created_at',
        'sent_at',
      ])
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: base.select((eb) => eb.fn.countAll<string>().as('total')),
  };
}
