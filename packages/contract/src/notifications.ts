import { type Static, Type } from 'typebox';
import { NullableTimestamp, PaginationQuery, Timestamp, Uuid } from './common.js';
import { StringEnum } from './string-enum.js';

/**
 * The channels and delivery statuses of a notification: the `notifications` table's CHECK constraints (@punctual/db's
 * NOTIFICATION_CHANNELS and NOTIFICATION_STATUSES, which core's view maps onto these, so a new value fails to compile).
 */
const CHANNELS = ['email', 'callback'] as const;
const STATUSES = ['pending', 'sent', 'failed'] as const;

export const TaskNotification = Type.Object(
  {
    id: Uuid,
    channel: StringEnum(CHANNELS),
    event: Type.String({ description: 'attempt.retrying · run.failed · run.succeeded · task.failing · task.recovered' }),
    to: Type.String({ description: 'the email address, or the callback URL' }),
    status: StringEnum(STATUSES, {
      description: 'pending: not delivered yet (retries may follow) · sent · failed: given up on',
    }),
    attempts: Type.Integer({ minimum: 0, description: 'deliveries tried so far' }),
    lastError: Type.Union([Type.String(), Type.Null()], { description: "the last delivery's error" }),
    createdAt: Timestamp,
    sentAt: NullableTimestamp,
  },
  {
    $id: 'TaskNotification',
    title: 'TaskNotification',
    description: "One email or callback a run's outcome asked for; each event is delivered once.",
  },
);
export type TaskNotification = Static<typeof TaskNotification>;

export const TaskNotificationsQuery = Type.Object({ ...PaginationQuery }, { additionalProperties: false });
export type TaskNotificationsQuery = Static<typeof TaskNotificationsQuery>;
