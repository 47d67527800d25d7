import { sql } from 'kysely';
import type { JsonValue, NotificationChannel, NotificationRow, NotificationStatus, TaskRow } from './schema.js';
import type { DbExecutor } from './scope.js';

/**
 * An email or callback an attempt's outcome asks for, written with the attempt's record (its task, run and attempt
 * come from the claim). Its id is chosen by the writer: it is also the id of the job that delivers it.
 */
export interface NewNotification {
  id: string;
  channel: NotificationChannel;
  event: string;
  /** An email address or callback URL; null: the task owner's email, read in the same statement. */
  recipient: string | null;
  payload: Record<string, JsonValue>;
  /** `failed` (with `lastError`) for one that cannot be delivered at all, such as an email without SMTP_URL. */
  status: 'pending' | 'failed';
  lastError: string | null;
}

/** The attempt a notification is about: its task and run, its number in the run, and its log row (what a claim holds). */
export interface NotifiedAttempt {
  task: Pick<TaskRow, 'id' | 'run_id'>;
  attempt: number;
  logId: string;
}

/** The ids of the notifications that still have to be delivered: the jobs to queue once they are committed. */
export function pendingNotificationIds(notifications: readonly NewNotification[]): string[] {
  return notifications.filter((notification) => notification.status === 'pending').map((notification) => notification.id);
}

/** The columns of RECORD_ATTEMPTS' notification rows, one array each, in its parameter order. */
export function notificationColumns(rows: readonly { claimed: NotifiedAttempt; notifications: readonly NewNotification[] }[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 11 }, () => []);
  for (const { claimed, notifications } of rows) {
    for (const notification of notifications) {
      const values = [
        claimed.task.id,
        notification.id,
        claimed.task.run_id,
        claimed.attempt,
        claimed.logId,
        notification.channel,
        notification.event,
        notification.recipient,
        JSON.stringify(notification.payload),
        notification.status,
        notification.lastError,
      ];
      values.forEach((value, index) => columns[index]!.push(value));
    }
  }
  return columns;
}

/**
 * Writes an attempt's notifications (finishChangedAttempt's path, inside its transaction). One row per event: a row for
 * the same run, attempt, channel and event is left as it is.
 */
export async function insertNotifications(
  db: DbExecutor,
  claimed: NotifiedAttempt,
  notifications: readonly NewNotification[],
): Promise<void> {
  if (notifications.length === 0) return;
  const [taskIds, ids, runIds, attempts, logIds, channels, events, recipients, payloads, statuses, errors] = notificationColumns([
    { claimed, notifications },
  ]);
  await sql`
    INSERT INTO notifications (id, task_id, user_id, run_id, attempt, log_id, channel, event, recipient, payload, status,
      last_error)
    SELECT n.id, n.task_id, users.id, n.run_id, n.attempt, n.log_id, n.channel, n.event, coalesce(n.recipient, users.email),
      n.payload::jsonb, n.status, n.error
    FROM unnest(${taskIds}::uuid[], ${ids}::uuid[], ${runIds}::uuid[], ${attempts}::int[], ${logIds}::uuid[],
      ${channels}::text[], ${events}::text[], ${recipients}::text[], ${payloads}::text[], ${statuses}::text[],
      ${errors}::text[])
      AS n (task_id, id, run_id, attempt, log_id, channel, event, recipient, payload, status, error)
    JOIN tasks ON tasks.id = n.task_id
    JOIN users ON users.id = tasks.user_id
    ON CONFLICT DO NOTHING`.execute(db);
}

/** A notification a worker holds for delivery (see claimNotification), with how old its event is. */
export interface ClaimedNotification extends NotificationRow {
  /** Milliseconds since the event, by Postgres' clock. */
  age_ms: number;
}

/**
 * Takes a pending notification for delivery: counts the delivery and locks it for `lockMs`, so no other worker
 * delivers it meanwhile. Returns `busy` when another worker holds it now, `done` when it is no longer pending (sent,
 * failed, or gone with its task): a job retried or queued twice delivers nothing more.
 */
export async function claimNotification(db: DbExecutor, id: string, lockMs: number): Promise<ClaimedNotification | 'busy' | 'done'> {
  const claimed = await db
    .updateTable('notifications')
    .set({ attempts: sql`attempts + 1`, locked_until: sql`now() + ${lockMs} * interval '1 millisecond'` })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', sql<Date>`now()`)]))
    .returningAll()
    .returning(sql<number>`(extract(epoch FROM now() - created_at) * 1000)::float8`.as('age_ms'))
    .executeTakeFirst();
  if (claimed) return claimed;
  const row = await db.selectFrom('notifications').select('status').where('id', '=', id).executeTakeFirst();
  return row?.status === 'pending' ? 'busy' : 'done';
}

/**
 * Records a delivery's outcome: `sent`, `failed` for good, or still `pending` (retried later) with its error. Fenced by
 * the claim (`attempts` as the claim left it): a worker whose hold lapsed cannot overwrite the next holder's outcome.
 */
export async function finishNotification(
  db: DbExecutor,
  claimed: Pick<NotificationRow, 'id' | 'attempts'>,
  outcome: { status: NotificationStatus; error: string | null },
): Promise<void> {
  await db
    .updateTable('notifications')
    .set({
      status: outcome.status,
      last_error: outcome.error,
      locked_until: null,
      ...(outcome.status === 'sent' ? { sent_at: sql`now()` } : {}),
    })
    .where('id', '=', claimed.id)
    .where('attempts', '=', claimed.attempts)
    .execute();
}

/**
 * Pending notifications' ids after `after`, in id order, from the partial index on pending rows: the ones the
 * reconciler checks against the queue (by keyset, so a walk never reads a row twice).
 */
export async function listPendingNotifications(db: DbExecutor, options: { after?: string; limit: number }): Promise<string[]> {
  let query = db.selectFrom('notifications').select('id').where('status', '=', 'pending');
  if (options.after) query = query.where('id', '>', options.after);
  const rows = await query.orderBy('id').limit(options.limit).execute();
  return rows.map((row) => row.id);
}

/** Deletes notifications older than `before`, at most `batchSize`; returns how many. */
export async function deleteNotificationsCreatedBefore(db: DbExecutor, options: { before: Date; batchSize: number }): Promise<number> {
  const result = await db
    .deleteFrom('notifications')
    .where('id', 'in', db.selectFrom('notifications').select('id').where('created_at', '<', options.before).limit(options.batchSize))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
