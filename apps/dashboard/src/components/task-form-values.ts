import type { CreateTaskBody, Task, UpdateTaskBody } from '@punctual/client';

/** The task form's fields as the person edits them: text, and numbers that may still be empty. */
export interface TaskFormValues {
  name: string;
  description: string;
  method: Task['method'];
  url: string;
  headers: string;
  bodyFormat: 'json' | 'text';
  body: string;
  token: string;
  removeToken: boolean;
  schedule: 'one-off' | 'recurring';
  /** `datetime-local` value: the viewer's wall-clock time, `YYYY-MM-DDTHH:mm`. */
  runAt: string;
  cron: string;
  timezone: string;
  timeoutMs: number | string;
  maxRetries: number | string;
  /** Comma-separated, as for the two lists below. */
  tags: string;
  backoffType: '' | Task['backoff']['type'];
  backoffDelayMs: number | string;
  backoffMaxDelayMs: number | string;
  backoffJitter: boolean;
  successCodes: string;
  retryOn: string;
  notifyOnFailure: boolean;
  notifyOnRetry: boolean;
  notifyEmail: string;
  notifyAfterConsecutiveFailures: number | string;
  callbackOnSuccess: string;
  callbackOnFailure: string;
  flowKey: string;
  flowParallelism: number | string;
  flowRatePerSecond: number | string;
  misfire: Task['misfire'];
  template: boolean;
}

export type TaskField = keyof TaskFormValues;

/** Errors by form field, from the API's 400 or from reading the form. */
export type FieldErrors = Partial<Record<TaskField, string>>;

/** A form value the API cannot take as it stands; its message goes on the field. */
export class FormValueError extends Error {
  constructor(
    readonly field: TaskField,
    message: string,
  ) {
    super(message);
  }
}

const REDACTED = '[redacted]';

export function emptyTaskForm(): TaskFormValues {
  return {
    name: '',
    description: '',
    method: 'GET',
    url: '',
    headers: '',
    bodyFormat: 'json',
    body: '',
    token: '',
    removeToken: false,
    schedule: 'one-off',
    runAt: '',
    cron: '',
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    timeoutMs: '',
    maxRetries: '',
    tags: '',
    backoffType: '',
    backoffDelayMs: '',
    backoffMaxDelayMs: '',
    backoffJitter: false,
    successCodes: '',
    retryOn: '',
    notifyOnFailure: true,
    notifyOnRetry: false,
    notifyEmail: '',
    notifyAfterConsecutiveFailures: '',
    callbackOnSuccess: '',
    callbackOnFailure: '',
    flowKey: '',
    flowParallelism: '',
    flowRatePerSecond: '',
    misfire: 'once',
    template: false,
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An instant as a `datetime-local` value in the viewer's zone. */
function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function taskFormOf(task: Task): TaskFormValues {
  const stringBody = typeof task.body === 'string';
  return {
    ...emptyTaskForm(),
    name: task.name,
    description: task.description ?? '',
    method: task.method,
    url: task.url,
    headers: Object.entries(task.headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n'),
    bodyFormat: stringBody ? 'text' : 'json',
    body: task.body === null || task.body === undefined ? '' : stringBody ? (task.body as string) : JSON.stringify(task.body, null, 2),
    schedule: task.cron === null ? 'one-off' : 'recurring',
    runAt: toLocalInput(task.scheduledAt),
    cron: task.cron ?? '',
    timezone: task.timezone,
    timeoutMs: task.timeoutMs,
    maxRetries: task.maxRetries,
    tags: task.tags.join(', '),
    backoffType: task.backoff.type,
    backoffDelayMs: task.backoff.delayMs,
    backoffMaxDelayMs: task.backoff.maxDelayMs,
    backoffJitter: task.backoff.jitter,
    successCodes: task.successCodes.join(', '),
    retryOn: task.retryOn.join(', '),
    notifyOnFailure: task.notify.onFailure,
    notifyOnRetry: task.notify.onRetry,
    notifyEmail: task.notify.email ?? '',
    notifyAfterConsecutiveFailures: task.notify.afterConsecutiveFailures ?? '',
    callbackOnSuccess: task.callbacks.onSuccess ?? '',
    callbackOnFailure: task.callbacks.onFailure ?? '',
    flowKey: task.flowControl?.key ?? '',
    flowParallelism: task.flowControl?.parallelism ?? '',
    flowRatePerSecond: task.flowControl?.ratePerSecond ?? '',
    misfire: task.misfire,
    template: task.template,
  };
}

const text = (value: string) => (value.trim() === '' ? undefined : value.trim());
const number = (value: number | string) => (value === '' || value === undefined ? undefined : Number(value));
/** "404" is a status code, "5xx" a class or a keyword: the API takes codes as numbers. */
const codeOrWord = (value: string) => (/^\d+$/.test(value) ? Number(value) : value);
/** "a, b ,c" as ["a", "b", "c"]; undefined when empty. */
const list = (value: string) => {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return items.length ? items : undefined;
};

/** `Name: value` lines (or a JSON object) as a header map; blank lines skipped. */
function parseHeaders(source: string): Record<string, string> | undefined {
  const trimmed = source.trim();
  if (trimmed === '') return undefined;
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as Record<string, string>;
    } catch {
      throw new FormValueError('headers', 'Headers: not valid JSON. Write one "Name: value" per line, or a JSON object');
    }
  }
  const headers: Record<string, string> = {};
  for (const line of trimmed.split('\n')) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new FormValueError('headers', `Headers: "${line.trim()}" is not "Name: value"`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function parseBody(values: TaskFormValues): unknown {
  if (values.body.trim() === '') return undefined;
  if (values.bodyFormat === 'text') return values.body;
  try {
    return JSON.parse(values.body) as unknown;
  } catch {
    throw new FormValueError('body', 'Body: not valid JSON. Fix it, or choose Text to send it as it is');
  }
}

function compact<T extends object>(object: T): T | undefined {
  const entries = Object.entries(object).filter(([, value]) => value !== undefined);
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as T);
}

/**
 * The API's fields for what the form says, `undefined` where the form leaves the server's default. Only what cannot be
 * sent at all is refused here (unreadable JSON or header lines); every rule is the API's, and its 400 names the field.
 */
function apiFieldsOf(values: TaskFormValues) {
  const recurring = values.schedule === 'recurring';
  return {
    name: values.name.trim(),
    description: text(values.description),
    url: values.url.trim(),
    method: values.method,
    headers: parseHeaders(values.headers),
    body: parseBody(values),
    scheduledAt: !recurring && values.runAt ? new Date(values.runAt).toISOString() : undefined,
    cron: recurring ? values.cron.trim() : undefined,
    timezone: recurring ? text(values.timezone) : undefined,
    timeoutMs: number(values.timeoutMs),
    maxRetries: number(values.maxRetries),
    tags: list(values.tags),
    backoff: compact({
      type: values.backoffType || undefined,
      delayMs: number(values.backoffDelayMs),
      maxDelayMs: number(values.backoffMaxDelayMs),
      jitter: values.backoffJitter || undefined,
    }),
    successCodes: list(values.successCodes)?.map(codeOrWord),
    retryOn: list(values.retryOn)?.map(codeOrWord),
    notify: {
      onFailure: values.notifyOnFailure,
      onRetry: values.notifyOnRetry,
      email: text(values.notifyEmail),
      afterConsecutiveFailures: number(values.notifyAfterConsecutiveFailures),
    },
    callbacks: compact({ onSuccess: text(values.callbackOnSuccess), onFailure: text(values.callbackOnFailure) }),
    flowControl:
      text(values.flowKey) || values.flowParallelism !== '' || values.flowRatePerSecond !== ''
        ? { key: values.flowKey.trim(), parallelism: number(values.flowParallelism), ratePerSecond: number(values.flowRatePerSecond) }
        : undefined,
    misfire: recurring ? values.misfire : undefined,
    template: values.template || undefined,
  };
}

/** What `POST /api/v1/tasks` gets: the fields the form sets, the server's defaults for the rest. */
export function createBodyOf(values: TaskFormValues): CreateTaskBody {
  const fields = apiFieldsOf(values);
  const { notify } = fields;
  const defaultNotify = notify.onFailure && !notify.onRetry && !notify.email && notify.afterConsecutiveFailures === undefined;
  return JSON.parse(
    JSON.stringify({ ...fields, notify: defaultNotify ? undefined : compact(notify), token: text(values.token) }),
  ) as CreateTaskBody;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * What `PATCH /api/v1/tasks/{id}` gets: only the fields the person changed, cleared ones as null. A stored secret is
 * never shown, so headers holding "[redacted]" cannot be sent back: that would store the placeholder as the secret.
 */
export function updateBodyOf(values: TaskFormValues, initial: TaskFormValues): UpdateTaskBody {
  const now = apiFieldsOf(values);
  const before = apiFieldsOf(initial);
  const body: Record<string, unknown> = {};
  const changed = (field: keyof typeof now) => !same(now[field], before[field]);

  // An emptied number keeps the stored value (there is no null for it); emptied lists go back to their defaults.
  for (const field of ['name', 'url', 'method', 'timeoutMs', 'maxRetries', 'misfire'] as const) {
    if (changed(field) && now[field] !== undefined) body[field] = now[field];
  }
  if (changed('tags')) body.tags = now.tags ?? [];
  if (changed('successCodes')) body.successCodes = now.successCodes ?? ['2xx'];
  if (changed('retryOn')) body.retryOn = now.retryOn ?? ['any'];
  if (changed('description')) body.description = now.description ?? null;
  // An emptied body is removed (null), not stored as "": the API refuses any body, even empty, with HEAD.
  if (changed('body')) body.body = now.body ?? null;
  if (changed('headers')) {
    const redacted = Object.entries(now.headers ?? {}).find(([, value]) => value === REDACTED);
    if (redacted) {
      throw new FormValueError(
        'headers',
        `Headers: give the value of ${redacted[0]} again (stored secrets are not shown), or remove its line`,
      );
    }
    body.headers = now.headers ?? null;
  }
  if (values.removeToken) body.token = null;
  else if (text(values.token)) body.token = text(values.token);

  if (values.schedule === 'recurring') {
    if (initial.schedule !== 'recurring' || changed('cron') || changed('timezone')) {
      body.cron = now.cron;
      if (now.timezone) body.timezone = now.timezone;
    }
  } else if (initial.schedule === 'recurring') {
    body.cron = null;
    if (now.scheduledAt) body.scheduledAt = now.scheduledAt;
  } else if (changed('scheduledAt') && now.scheduledAt) {
    body.scheduledAt = now.scheduledAt;
  }

  if (changed('backoff')) body.backoff = now.backoff ?? {};
  // notify is merged into the stored settings: an emptied email or streak is removed with null (the email goes back to
  // the owner's), where leaving it out would keep the old one.
  if (changed('notify')) {
    body.notify = { ...now.notify, email: now.notify.email ?? null, afterConsecutiveFailures: now.notify.afterConsecutiveFailures ?? null };
  }
  if (changed('callbacks')) body.callbacks = now.callbacks ?? null;
  if (changed('flowControl')) body.flowControl = now.flowControl ? JSON.parse(JSON.stringify(now.flowControl)) : null;
  if (changed('template')) body.template = values.template;
  return body;
}

/** The form field an API path names (`url`, `backoff/delayMs`, `headers/Host`, `notify/email`). */
export function fieldOfApiPath(path: readonly string[]): TaskField | undefined {
  const [top, nested] = path;
  const nestedFields: Record<string, Record<string, TaskField>> = {
    backoff: { type: 'backoffType', delayMs: 'backoffDelayMs', maxDelayMs: 'backoffMaxDelayMs', jitter: 'backoffJitter' },
    notify: {
      onFailure: 'notifyOnFailure',
      onRetry: 'notifyOnRetry',
      email: 'notifyEmail',
      afterConsecutiveFailures: 'notifyAfterConsecutiveFailures',
    },
    callbacks: { onSuccess: 'callbackOnSuccess', onFailure: 'callbackOnFailure' },
    flowControl: { key: 'flowKey', parallelism: 'flowParallelism', ratePerSecond: 'flowRatePerSecond' },
  };
  if (top === undefined) return undefined;
  const group = nestedFields[top];
  if (group) return (nested && group[nested]) || Object.values(group)[0];
  const direct: Record<string, TaskField> = { scheduledAt: 'runAt', token: 'token', cron: 'cron', timezone: 'timezone' };
  if (top in direct) return direct[top];
  return top in emptyTaskForm() ? (top as TaskField) : undefined;
}
