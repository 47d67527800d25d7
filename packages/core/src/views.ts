import type { ApiKeyListing, TaskLogRow, TaskRow, UserRow } from '@punctual/db';
import type { HttpMethod } from '@punctual/executor';
import type { AttemptOutcome, TaskStatus } from '@punctual/scheduling';

/** A user as the API shows it. */
export interface UserView {
  id: string;
  email: string;
  role: 'user' | 'admin';
  createdAt: string;
}

export function toUserView(row: UserRow): UserView {
  return { id: row.id, email: row.email, role: row.role, createdAt: row.created_at.toISOString() };
}

/** A user as admins see them: with whether the account is disabled. */
export interface ManagedUserView extends UserView {
  disabled: boolean;
}

export function toManagedUserView(row: UserRow): ManagedUserView {
  return { ...toUserView(row), disabled: row.disabled };
}

/** An API key as its owner sees it: never the key itself. */
export interface ApiKeyView {
  id: string;
  name: string;
  scope: 'full' | 'read';
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

export function toApiKeyView(row: ApiKeyListing): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    prefix: row.prefix,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at === null ? null : row.expires_at.toISOString(),
    lastUsedAt: row.last_used_at === null ? null : row.last_used_at.toISOString(),
  };
}

/** A task as the API shows it: secrets never leave, sensitive header values are redacted. */
export interface TaskView {
  id: string;
  userId: string;
  name: string;
  description: string | null;
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  body: unknown;
  hasToken: boolean;
  scheduledAt: string | null;
  cron: string | null;
  timezone: string;
  nextRunAt: string | null;
  status: TaskStatus;
  maxRetries: number;
  backoff: TaskRow['backoff'];
  timeoutMs: number;
  attempts: number;
  runCount: number;
  lastRunAt: string | null;
  lastOutcome: AttemptOutcome | null;
  lastStatusCode: number | null;
  lastError: string | null;
  tags: string[];
  notify: TaskRow['notify'];
  createdAt: string;
  updatedAt: string;
}

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

export function toTaskView(row: TaskRow): TaskView {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    description: row.description,
    url: row.url,
    // The column's CHECK constraint allows only these methods.
    method: row.method as HttpMethod,
    headers: row.headers,
    body: row.body,
    hasToken: row.token !== null,
    scheduledAt: iso(row.scheduled_at),
    cron: row.cron,
    timezone: row.timezone,
    nextRunAt: iso(row.next_run_at),
    status: row.status,
    maxRetries: row.max_retries,
    backoff: row.backoff,
    timeoutMs: row.timeout_ms,
    attempts: row.attempts,
    runCount: row.run_count,
    lastRunAt: iso(row.last_run_at),
    lastOutcome: row.last_outcome,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    tags: row.tags,
    notify: row.notify,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export interface TaskStatusView {
  id: string;
  status: TaskStatus;
  nextRunAt: string | null;
  attempts: number;
  lastOutcome: AttemptOutcome | null;
}

export function toTaskStatusView(row: TaskRow): TaskStatusView {
  return { id: row.id, status: row.status, nextRunAt: iso(row.next_run_at), attempts: row.attempts, lastOutcome: row.last_outcome };
}

/** One attempt as the API shows it. */
export interface TaskLogView {
  id: string;
  taskId: string;
  runId: string;
  attempt: number;
  /** Listed attempts are finished; an open one has no outcome yet. */
  outcome: AttemptOutcome;
  statusCode: number | null;
  durationMs: number | null;
  error: string | null;
  responseHeaders: Record<string, string>;
  responseBody: string | null;
  responseTruncated: boolean;
  scheduledFor: string;
  startedAt: string;
  finishedAt: string | null;
  workerId: string;
  nextRetryAt: string | null;
}

export function toTaskLogView(row: TaskLogRow): TaskLogView {
  return {
    id: row.id,
    taskId: row.task_id,
    runId: row.run_id,
    attempt: row.attempt,
    outcome: row.outcome ?? 'failed',
    statusCode: row.status_code,
    durationMs: row.duration_ms,
    error: row.error,
    responseHeaders: row.response_headers ?? {},
    responseBody: row.response_body,
    responseTruncated: row.response_truncated,
    scheduledFor: row.scheduled_for.toISOString(),
    startedAt: row.started_at.toISOString(),
    finishedAt: iso(row.finished_at),
    workerId: row.worker_id,
    nextRetryAt: iso(row.next_retry_at),
  };
}

export interface Page<T> {
  data: T[];
  page: number;
  limit: number;
  total: number;
}
