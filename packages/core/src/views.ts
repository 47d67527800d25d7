import type { ApiKey, ManagedUser, Page, Task, TaskLog, TaskNotification, TaskStatusResponse, User } from '@punctual/contract';
import type { ApiKeyListing, ListedNotification, TaskLogRow, TaskRow, UserRow } from '@punctual/db';
import type { HttpMethod } from '@punctual/executor';
import { DEFAULT_RETRY_ON, DEFAULT_SUCCESS_CODES } from '@punctual/scheduling';
import { REDACTED, isSensitiveHeader } from './task-input.js';

// The shapes are defined once, as the TypeBox schemas in @punctual/contract; these are their static types.
/** A user as the API shows it. */
export type UserView = User;
/** A task as the API shows it: secrets never leave, sensitive header values are redacted. */
export type TaskView = Task;
/** A task's status, cheaply. */
export type TaskStatusView = TaskStatusResponse;
/** One attempt as the API shows it; listed attempts are finished, an open one has no outcome yet. */
export type TaskLogView = TaskLog;
/** One email or callback as the API shows it (not its payload). */
export type TaskNotificationView = TaskNotification;
/** A user as admins see them: with whether the account is disabled. */
export type ManagedUserView = ManagedUser;
/** An API key as its owner sees it: never the key itself. */
export type ApiKeyView = ApiKey;
export type { Page };

/** A user row as the API shows it (no password hash). */
export function toUserView(row: UserRow): UserView {
  return { id: row.id, email: row.email, role: row.role, createdAt: row.created_at.toISOString() };
}

/** A user row as admins see it: with whether the account is disabled. */
export function toManagedUserView(row: UserRow): ManagedUserView {
  return { ...toUserView(row), disabled: row.disabled };
}

/** An API key row as its owner sees it: never the key itself. */
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

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

/** A task row as the API shows it: `hasToken` instead of the token, headers as stored (sensitive values are stored redacted). */
export function toTaskView(row: TaskRow): TaskView {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    description: row.description,
    url: row.url,
    // The column's CHECK constraint allows only these methods.
    method: row.method as HttpMethod,
    headers: redactHeaders(row.headers),
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
    callbacks: row.callbacks ?? {},
    successCodes: row.success_codes ?? [...DEFAULT_SUCCESS_CODES],
    retryOn: row.retry_on ?? [...DEFAULT_RETRY_ON],
    flowControl: row.flow_control,
    misfire: row.misfire,
    template: row.template,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * Sensitive values are stored redacted already; a row written before a name counted as sensitive (the list grew) is
 * redacted on the way out too.
 */
function redactHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, isSensitiveHeader(name) ? REDACTED : value]));
}

/** The few fields `GET /tasks/:id/status` returns. */
export function toTaskStatusView(row: TaskRow): TaskStatusView {
  return { id: row.id, status: row.status, nextRunAt: iso(row.next_run_at), attempts: row.attempts, lastOutcome: row.last_outcome };
}

/** An attempt row as the API shows it; an attempt still open (no outcome) shows as failed. */
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

/** A notification row as the API shows it: `to` is its recipient (an address or a callback URL). */
export function toTaskNotificationView(row: ListedNotification): TaskNotificationView {
  return {
    id: row.id,
    channel: row.channel,
    event: row.event,
    to: row.recipient,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at.toISOString(),
    sentAt: iso(row.sent_at),
  };
}
