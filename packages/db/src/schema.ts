import type {
  AttemptOutcome,
  BackoffPolicy,
  FlowControl,
  MisfirePolicy,
  RetryRule,
  StatusCodeRule,
  TaskStatus,
} from '@punctual/scheduling';
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface UsersTable {
  id: Generated<string>;
  email: string;
  password_hash: string;
  role: 'user' | 'admin';
  /** No credential of a disabled account works; its data stays. */
  disabled: Generated<boolean>;
  /** Carried in each JWT as `sv`; a password change bumps it, ending every JWT issued before. */
  session_version: Generated<number>;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

/** A credential for servers and scripts, acting as its owner; the key itself is never stored. */
export interface ApiKeysTable {
  id: Generated<string>;
  user_id: string;
  name: string;
  scope: 'full' | 'read';
  /** The first 8 characters after `pk_`, so an owner can tell keys apart. */
  prefix: string;
  /** SHA-256 of the whole key. */
  hash: Buffer;
  created_at: CreatedAt;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

export type BackoffColumn = BackoffPolicy;

export interface NotifyColumn {
  onFailure: boolean;
  onRetry: boolean;
  email?: string;
  /** Recurring tasks: one alert when this many runs in a row failed, one "recovered" email at the next success. */
  afterConsecutiveFailures?: number;
}

/** Where a run's outcome is POSTed (signed), when it ends. */
export interface CallbacksColumn {
  onSuccess?: string;
  onFailure?: string;
}

export const NOTIFICATION_CHANNELS = ['email', 'callback'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];
export const NOTIFICATION_STATUSES = ['pending', 'sent', 'failed'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/**
 * One email or callback an attempt's outcome asked for (migration 0011). Written with the attempt's record; its id is
 * its delivery job's id. `payload` is what the delivery sends: the callback's JSON body, or the facts an email states.
 */
export interface NotificationsTable {
  id: string;
  task_id: string;
  user_id: string;
  run_id: string;
  /** The attempt whose outcome made the event: its number in the run, and its log row. */
  attempt: number;
  log_id: string;
  channel: NotificationChannel;
  /** attempt.retrying · run.failed · run.succeeded · task.failing · task.recovered */
  event: string;
  /** An email address, or the callback's URL. */
  recipient: string;
  payload: Json<Record<string, JsonValue>>;
  status: ColumnType<NotificationStatus, NotificationStatus | undefined, NotificationStatus>;
  /** Deliveries tried so far. */
  attempts: Generated<number>;
  last_error: string | null;
  /** While a worker delivers it: another worker leaves it alone until then. */
  locked_until: Timestamp | null;
  created_at: CreatedAt;
  sent_at: Timestamp | null;
}

/**
 * One row per tag of a task, kept by triggers on `tasks` (migration 0008): what a `?tag=` page is read from, in list
 * order. Written only by those triggers, never by the app.
 */
export interface TaskTagsTable {
  task_id: string;
  tag: string;
  user_id: string;
  created_at: Date;
}

/** `?q=`'s text of each task (name, description and URL), kept by triggers on `tasks` (migration 0010). */
export interface TaskSearchTable {
  task_id: string;
  user_id: string;
  created_at: Date;
  body: string;
}

export interface TasksTable {
  id: Generated<string>;
  user_id: string;
  name: string;
  description: string | null;
  url: string;
  method: string;
  /** Header names with their values; sensitive values are stored as "[redacted]" here and sealed in `secret_headers`. */
  headers: Json<Record<string, string>>;
  /** Sealed JSON of the sensitive headers' real values (bound to the task id and the URL's origin), or null. */
  secret_headers: string | null;
  /** The request body as JSON (a JSON string is sent as is), or null for none. */
  body: Json<JsonValue> | null;
  /** Sealed bearer token (bound to the task id and the URL's origin), or null. */
  token: string | null;
  scheduled_at: Timestamp | null;
  cron: string | null;
  timezone: Generated<string>;
  next_run_at: Timestamp | null;
  status: ColumnType<TaskStatus, TaskStatus | undefined, TaskStatus>;
  /** Bumped by every change of what should fire; a queued job carries the version it was made for. */
  version: Generated<number>;
  /** The current run's id, stable across its attempts. */
  run_id: string;
  max_retries: number;
  backoff: Json<BackoffColumn>;
  timeout_ms: number;
  attempts: Generated<number>;
  run_count: Generated<number>;
  last_run_at: Timestamp | null;
  last_outcome: AttemptOutcome | null;
  last_status_code: number | null;
  last_error: string | null;
  /** While `running`: when the attempt's claim lapses if the worker holding it is gone. */
  lease_expires_at: Timestamp | null;
  /** Set by `run` on a paused task: when that run finishes, the task goes back to `paused`. */
  hold_after_run: Generated<boolean>;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  notify: Json<NotifyColumn>;
  callbacks: Json<CallbacksColumn> | null;
  /** Runs in a row that failed; a success sets it back to 0. */
  consecutive_failures: Generated<number>;
  /** The current streak's `task.failing` alert went out (a success clears it, with a `task.recovered` email). */
  failure_alerted: Generated<boolean>;
  /** Which responses count as success; null: 2xx. */
  success_codes: Json<StatusCodeRule[]> | null;
  /** Which failures are retried; null: every one. */
  retry_on: Json<RetryRule[]> | null;
  /** The owner's attempts sharing a key: in flight and started per second, across the fleet; null: none. */
  flow_control: Json<FlowControl> | null;
  /** Recurring tasks: what becomes of occurrences missed by more than MISFIRE_GRACE_MS. */
  misfire: ColumnType<MisfirePolicy, MisfirePolicy | undefined, MisfirePolicy>;
  /** Placeholders in the URL's query, header values and body are filled in at each attempt. */
  template: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface TaskLogsTable {
  id: Generated<string>;
  task_id: string;
  user_id: string;
  run_id: string;
  attempt: number;
  /** Null while the attempt is in flight. */
  outcome: AttemptOutcome | null;
  status_code: number | null;
  duration_ms: number | null;
  error: string | null;
  response_headers: Json<Record<string, string>> | null;
  response_body: string | null;
  response_truncated: Generated<boolean>;
  scheduled_for: Timestamp;
  started_at: DefaultedTimestamp;
  finished_at: Timestamp | null;
  worker_id: string;
  next_retry_at: Timestamp | null;
}

/** An Idempotency-Key a user sent with a create, and the task it created; free again after 24 h. */
export interface IdempotencyKeysTable {
  user_id: string;
  key: string;
  /** HMAC-SHA256 (hex, keyed with SECRETS_KEY) of the canonical JSON of the create body: a repeat with another body is refused. */
  request_hash: string;
  task_id: string;
  /** Set again when an expired key is claimed anew. */
  created_at: DefaultedTimestamp;
}

/** A user's Standard Webhooks signing secret (`whsec_…`), sealed; the one before a rotation signs too until it expires. */
export interface SigningSecretsTable {
  user_id: string;
  /** Sealed (purpose "signing secret", the user id as authenticated data). */
  secret: string;
  /** The secret before the last rotation, sealed the same way, or null. */
  previous_secret: string | null;
  /** 24 h after the rotation: calls stop carrying the previous secret's signature then. */
  previous_expires_at: Timestamp | null;
  created_at: CreatedAt;
  rotated_at: Timestamp | null;
}

/** A rate-limit count of one key in its window (Postgres queue backend only; written by @punctual/queue). */
export interface RateLimitCountersTable {
  key: string;
  count: number;
  window_ends_at: Timestamp;
}

/** Per user, a number its live tasks never exceed (migration 0009 explains how it is kept). */
export interface TaskQuotaBoundsTable {
  user_id: string;
  /** Null only inside the transaction that made the row, until it sets the counted figure. */
  live_at_most: string | null;
}

export interface Database {
  users: UsersTable;
  signing_secrets: SigningSecretsTable;
  tasks: TasksTable;
  task_tags: TaskTagsTable;
  task_search: TaskSearchTable;
  task_logs: TaskLogsTable;
  idempotency_keys: IdempotencyKeysTable;
  api_keys: ApiKeysTable;
  rate_limit_counters: RateLimitCountersTable;
  task_quota_bounds: TaskQuotaBoundsTable;
  notifications: NotificationsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type TaskRow = Selectable<TasksTable>;
export type NewTaskRow = Insertable<TasksTable>;
export type TaskRowUpdate = Updateable<TasksTable>;
export type TaskLogRow = Selectable<TaskLogsTable>;
export type NotificationRow = Selectable<NotificationsTable>;
export type IdempotencyKeyRow = Selectable<IdempotencyKeysTable>;
export type SigningSecretRow = Selectable<SigningSecretsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
