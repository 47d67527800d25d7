import { randomUUID } from 'node:crypto';
import {
  findTaskPrepared,
  findTaskForUpdate,
  listTaskLogs,
  listTaskNotifications,
  listTasks as listTaskRows,
  updateTaskRow,
  type BatchedTaskRow,
  type TaskRow,
  type TaskRowUpdate,
  type TaskSort,
} from '@punctual/db';
import {
  DEFAULT_MISFIRE,
  DEFAULT_MISFIRE_GRACE_MS,
  previewTaskSchedule,
  transitionRefusal,
  type AttemptOutcome,
  type PreviewedOccurrence,
  type TaskStatus,
} from '@punctual/scheduling';
import { InvalidInputError, InvalidTransitionError, NotFoundError } from './errors.js';
import { applyToOneTask } from './task-actions.js';
import { discardAttempt, enqueueNextAttempt, filteredScopeOf, scopeOf, type Actor, type TaskContext } from './task-context.js';
import {
  DEFAULT_NOTIFY,
  checkBodyAllowed,
  checkTargetUrl,
  checkToken,
  defaultBackoff,
  isSensitiveHeader,
  normalizeTags,
  parseScheduledAt,
  resolveBackoff,
  resolveNotify,
  splitHeaders,
  type CreateTaskInput,
  type UpdateTaskInput,
} from './task-input.js';
import { insertNewTask } from './task-create-batch.js';
import { checkCallbacks, checkFailureStreak, checkNotifyEmail } from './task-deliveries.js';
import { checkFlowControl, checkMisfire, normalizeRules } from './task-policies.js';
import { checkOutcomeRules } from './task-outcome-rules.js';
import { checkTemplate, checkTemplateOnUpdate } from './request-template.js';
import { DEFAULT_PREVIEW_COUNT, scheduleOnCreate, scheduleOnUpdate } from './task-schedule.js';
import { originOf, sealTaskHeaders, sealTaskToken, secretKeysOf } from './task-secrets.js';
import {
  toTaskLogView,
  toTaskNotificationView,
  toTaskStatusView,
  toTaskView,
  type Page,
  type TaskLogView,
  type TaskNotificationView,
  type TaskStatusView,
  type TaskView,
} from './views.js';

/**
 * Stores a new task and queues its first attempt: for `scheduledAt` (now when absent; a past time runs at once), or for
 * the next occurrence of `cron` in `timezone`.
 */
export async function createTask(context: TaskContext, actor: Actor, input: CreateTaskInput): Promise<TaskView> {
  const row = newTaskRow(context, actor, input);
  await checkNotifyEmailOnCreate(context, actor, input);
  return toTaskView(await insertNewTask(context, actor, row));
}

/** `notify.email` on a create: the owner is the caller. */
export async function checkNotifyEmailOnCreate(context: TaskContext, actor: Actor, input: CreateTaskInput): Promise<void> {
  await checkNotifyEmail(context.db, {
    email: input.notify?.email ?? undefined,
    ownerId: actor.userId,
    allowedDomains: context.allowedEmailDomains,
  });
}

/**
 * Checks a create request beyond its schema (400 naming the field) and turns it into the row to insert. The id is
 * chosen here, because the secrets are sealed for it (and for the URL's origin).
 */
export function newTaskRow(context: TaskContext, actor: Actor, input: CreateTaskInput): BatchedTaskRow {
  // Before the URL's own checks: a placeholder in the host makes no URL at all.
  if (input.template) checkTemplate({ url: input.url, headers: input.headers, body: input.body ?? undefined });
  const method = input.method ?? 'GET';
  const url = checkTargetUrl(input.url, context);
  checkBodyAllowed(method, input.body);
  const token = checkToken(input.token ?? null);
  const { visible, sensitive } = splitHeaders(input.headers ?? {}, { hasToken: token !== null });
  const schedule = scheduleOnCreate(input, new Date(), context.limits);
  const notify = resolveNotify(input.notify, DEFAULT_NOTIFY);
  checkFailureStreak(notify, schedule.cron !== null);
  const callbacks = checkCallbacks(input.callbacks ?? null, context);
  const misfire = input.misfire ?? DEFAULT_MISFIRE;
  checkMisfire(misfire, schedule.cron !== null);
  const flowControl = checkFlowControl(input.flowControl ?? null);
  checkOutcomeRules({ given: input });
  const keys = secretKeysOf(context);
  const id = randomUUID();
  return {
    id,
    user_id: actor.userId,
    name: input.name,
    description: input.description ?? null,
    url,
    method,
    headers: JSON.stringify(visible),
    secret_headers: sealTaskHeaders(keys, { id, url }, sensitive),
    body: input.body === undefined || input.body === null ? null : JSON.stringify(input.body),
    token: token === null ? null : sealTaskToken(keys, { id, url }, token),
    ...schedule,
    run_id: randomUUID(),
    max_retries: input.maxRetries ?? context.defaults.maxRetries,
    backoff: JSON.stringify(resolveBackoff(input.backoff, defaultBackoff(context.defaults))),
    timeout_ms: input.timeoutMs ?? context.defaults.timeoutMs,
    tags: normalizeTags(input.tags),
    notify: JSON.stringify(notify),
    callbacks: callbacks === null ? null : JSON.stringify(callbacks),
    success_codes: input.successCodes === undefined ? null : JSON.stringify(normalizeRules(input.successCodes)),
    retry_on: input.retryOn === undefined ? null : JSON.stringify(normalizeRules(input.retryOn)),
    flow_control: flowControl === null ? null : JSON.stringify(flowControl),
    misfire,
    template: input.template ?? false,
  };
}

export async function getTask(context: TaskContext, actor: Actor, id: string): Promise<TaskView> {
  return toTaskView(await requireTask(context, actor, id));
}

export async function getTaskStatus(context: TaskContext, actor: Actor, id: string): Promise<TaskStatusView> {
  return toTaskStatusView(await requireTask(context, actor, id));
}

/**
 * `GET /tasks/:id/next`: the next `count` occurrences a recurring task will run, as the scheduler will run them from
 * its current state (`previewTaskSchedule`: a missed next run per its misfire policy; a paused task as if resumed now;
 * a run in progress as if it ended now). 404 as the other task routes; 400 for a one-off task, which has no schedule.
 */
export async function previewTaskRuns(
  context: TaskContext,
  actor: Actor,
  id: string,
  request: { count?: number },
): Promise<{ occurrences: PreviewedOccurrence[] }> {
  const task = await requireTask(context, actor, id);
  if (task.cron === null) {
    throw new InvalidInputError('params/id', 'is a one-off task (scheduledAt, no cron): only a recurring task has occurrences to preview');
  }
  const preview = {
    schedule: { cron: task.cron, timezone: task.timezone },
    misfire: task.misfire,
    graceMs: context.misfireGraceMs ?? DEFAULT_MISFIRE_GRACE_MS,
    nextRunAt: task.next_run_at,
    inRun: task.status === 'running' || task.status === 'retrying',
    now: new Date(),
  };
  return { occurrences: previewTaskSchedule(preview, request.count ?? DEFAULT_PREVIEW_COUNT) };
}

export interface TaskListRequest {
  status?: TaskStatus;
  tag?: string;
  q?: string;
  userId?: string;
  sort?: TaskSort;
  page: number;
  limit: number;
}

/** One page of the actor's tasks (an admin's: everyone's, or one user's); a user's `userId` of someone else matches nothing. */
export async function listTasks(context: TaskContext, actor: Actor, request: TaskListRequest): Promise<Page<TaskView>> {
  const scope = filteredScopeOf(actor, request.userId);
  if (scope === null) return { data: [], page: request.page, limit: request.limit, total: 0 };
  const { rows, total, totalExact } = await listTaskRows(context.db, {
    scope,
    status: request.status,
    tag: request.tag,
    q: request.q,
    sort: request.sort ?? '-createdAt',
    page: request.page,
    limit: request.limit,
  });
  // The contract's envelope is `{ data, page, limit, total }`: the flag is added only when the total is an estimate.
  return {
    data: rows.map(toTaskView),
    page: request.page,
    limit: request.limit,
    total,
    ...(totalExact ? {} : { totalExact: false as const }),
  };
}

/**
 * Changes any create field of a waiting or paused task. A new `scheduledAt` reschedules: the version is bumped in the
 * same transaction, so the job queued for the old time is dropped by whichever worker picks it up, and a new one is queued.
 * URL, headers, body and retry settings are read at each attempt, so they take effect for the next one.
 */
export async function updateTask(context: TaskContext, actor: Actor, id: string, input: UpdateTaskInput): Promise<TaskView> {
  const { before, after } = await context.db.transaction().execute(async (trx) => {
    const task = await findTaskForUpdate(trx, scopeOf(actor), id);
    if (!task) throw new NotFoundError('task');
    const refusal = transitionRefusal('update', { status: task.status, recurring: task.cron !== null });
    if (refusal !== null) throw new InvalidTransitionError(refusal);
    const changes = taskChanges(context, task, input);
    // An admin's update of another user's task: the address is checked against the owner's email.
    await checkNotifyEmail(trx, {
      email: input.notify?.email ?? undefined,
      ownerId: task.user_id,
      allowedDomains: context.allowedEmailDomains,
    });
    return { before: task, after: await updateTaskRow(trx, task.id, changes) };
  });
  if (after.version !== before.version) {
    await discardAttempt(context, before);
    await enqueueNextAttempt(context, after);
  }
  return toTaskView(after);
}

function taskChanges(context: TaskContext, task: TaskRow, input: UpdateTaskInput): TaskRowUpdate {
  checkTemplateOnUpdate(secretKeysOf(context), task, input);
  const changes: TaskRowUpdate = {};
  const method = input.method ?? (task.method as NonNullable<CreateTaskInput['method']>);
  if (input.name !== undefined) changes.name = input.name;
  if (input.description !== undefined) changes.description = input.description;
  const url = input.url === undefined ? task.url : checkTargetUrl(input.url, context);
  if (input.url !== undefined) changes.url = url;
  checkSecretsFollowOrigin(task, url, input);
  if (input.method !== undefined) changes.method = input.method;
  checkBodyAllowed(method, input.body === undefined ? task.body : input.body);
  if (input.body !== undefined) changes.body = input.body === null ? null : JSON.stringify(input.body);
  const keys = secretKeysOf(context);
  if (input.token !== undefined)
    changes.token = input.token === null ? null : sealTaskToken(keys, { id: task.id, url }, checkToken(input.token));
  const hasToken = input.token === undefined ? task.token !== null : input.token !== null;
  if (input.headers !== undefined) {
    // Headers are replaced as a whole.
    const { visible, sensitive } = splitHeaders(input.headers ?? {}, { hasToken });
    changes.headers = JSON.stringify(visible);
    changes.secret_headers = sealTaskHeaders(keys, { id: task.id, url }, sensitive);
  } else if (input.token && Object.keys(task.headers).some((name) => name.toLowerCase() === 'authorization')) {
    throw new InvalidInputError('body/token', 'conflicts with the Authorization header: remove the header in the same update');
  }
  if (input.maxRetries !== undefined) changes.max_retries = input.maxRetries;
  if (input.backoff !== undefined) changes.backoff = JSON.stringify(resolveBackoff(input.backoff, task.backoff));
  if (input.timeoutMs !== undefined) changes.timeout_ms = input.timeoutMs;
  if (input.tags !== undefined) changes.tags = normalizeTags(input.tags);
  const notify = input.notify === undefined ? task.notify : resolveNotify(input.notify, task.notify);
  if (input.notify !== undefined) changes.notify = JSON.stringify(notify);
  if (input.notify !== undefined || input.cron !== undefined) {
    checkFailureStreak(notify, input.cron === undefined ? task.cron !== null : input.cron !== null);
  }
  if (input.callbacks !== undefined) {
    const callbacks = checkCallbacks(input.callbacks, context);
    changes.callbacks = callbacks === null ? null : JSON.stringify(callbacks);
  }
  if (input.successCodes !== undefined) changes.success_codes = JSON.stringify(normalizeRules(input.successCodes));
  if (input.retryOn !== undefined) changes.retry_on = JSON.stringify(normalizeRules(input.retryOn));
  if (input.flowControl !== undefined) {
    const flowControl = checkFlowControl(input.flowControl);
    changes.flow_control = flowControl === null ? null : JSON.stringify(flowControl);
  }
  if (input.misfire !== undefined) changes.misfire = input.misfire;
  if (input.misfire !== undefined || input.cron !== undefined) {
    checkMisfire(input.misfire ?? task.misfire, input.cron === undefined ? task.cron !== null : input.cron !== null);
  }
  checkOutcomeRules({ given: input, stored: { successCodes: task.success_codes, retryOn: task.retry_on } });
  if (input.template !== undefined) changes.template = input.template;
  if (input.timezone !== undefined) changes.timezone = input.timezone;
  const schedule = scheduleOnUpdate(task, input, new Date(), context.limits);
  if (schedule !== null) {
    Object.assign(changes, schedule);
    changes.version = task.version + 1;
  }
  return changes;
}

/**
 * Removes a task, its queued work and its logs, as the bulk `delete` does (404 when the actor cannot see it). An
 * attempt in flight may finish; its result is dropped.
 */
export async function deleteTask(context: TaskContext, actor: Actor, id: string): Promise<void> {
  await applyToOneTask(context, actor, id, 'delete');
}

export interface TaskLogListRequest {
  taskId?: string;
  outcome?: AttemptOutcome;
  from?: string;
  to?: string;
  page: number;
  limit: number;
}

/** Finished attempts of the actor's tasks (all of them for an admin), newest first. */
export async function listLogs(context: TaskContext, actor: Actor, request: TaskLogListRequest): Promise<Page<TaskLogView>> {
  const { rows, total } = await listTaskLogs(context.db, {
    scope: scopeOf(actor),
    taskId: request.taskId,
    outcome: request.outcome,
    from: request.from === undefined ? undefined : parseScheduledAt(request.from, 'querystring/from'),
    to: request.to === undefined ? undefined : parseScheduledAt(request.to, 'querystring/to'),
    page: request.page,
    limit: request.limit,
  });
  return { data: rows.map(toTaskLogView), page: request.page, limit: request.limit, total };
}

/** One task's finished attempts, newest first; 404 when the task is not the actor's. */
export async function listTaskLogsOf(
  context: TaskContext,
  actor: Actor,
  taskId: string,
  request: Omit<TaskLogListRequest, 'taskId'>,
): Promise<Page<TaskLogView>> {
  await requireTask(context, actor, taskId);
  return listLogs(context, actor, { ...request, taskId });
}

async function requireTask(context: TaskContext, actor: Actor, id: string): Promise<TaskRow> {
  const task = await findTaskPrepared(context.db, scopeOf(actor), id);
  if (!task) throw new NotFoundError('task');
  return task;
}

/**
 * A stored secret never follows the URL to another origin (scheme, host or port): an update that moves it must give the
 * token and the headers again, or null to drop them. Within the same origin (another path or query) they stay.
 */
function checkSecretsFollowOrigin(task: TaskRow, url: string, input: UpdateTaskInput): void {
  const from = originOf(task.url);
  if (originOf(url) === from) return;
  if (task.token !== null && input.token === undefined) {
    throw new InvalidInputError('body/token', `must be given again (or null to drop it) when url moves to another origin than ${from}`);
  }
  // Rows written before a header name counted as sensitive may hold its value in the clear: it must not follow either.
  const hasSensitiveHeaders = task.secret_headers !== null || Object.keys(task.headers).some(isSensitiveHeader);
  if (hasSensitiveHeaders && input.headers === undefined) {
    throw new InvalidInputError(
      'body/headers',
      `must be given again (or null to drop them) when url moves to another origin than ${from}: sensitive header values are stored`,
    );
  }
}

export interface TaskNotificationListRequest {
  page: number;
  limit: number;
}

/** One task's emails and callbacks, newest first; 404 when the task is not the actor's. */
export async function listTaskNotificationsOf(
  context: TaskContext,
  actor: Actor,
  taskId: string,
  request: TaskNotificationListRequest,
): Promise<Page<TaskNotificationView>> {
  await requireTask(context, actor, taskId);
  const { rows, total } = await listTaskNotifications(context.db, { taskId, page: request.page, limit: request.limit });
  return { data: rows.map(toTaskNotificationView), page: request.page, limit: request.limit, total };
}
