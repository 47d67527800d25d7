import type { BackoffColumn, CallbacksColumn, JsonValue, NotifyColumn } from '@punctual/db';
import type { HttpMethod } from '@punctual/executor';
import type { FlowControl, MisfirePolicy, RetryRule, StatusCodeRule } from '@punctual/scheduling';
import { checkAddress, ipAddressOf } from '@punctual/executor/address-check';
import { InvalidInputError } from './errors.js';

/** What a client sends to create a task (already shaped by the API's schema). */
export interface CreateTaskInput {
  name: string;
  description?: string | null;
  url: string;
  method?: HttpMethod;
  headers?: Record<string, string>;
  body?: JsonValue;
  token?: string | null;
  scheduledAt?: string;
  /** Recurring instead of `scheduledAt`: 5 fields, or 6 with leading seconds; `null` (on update) makes the task one-off. */
  cron?: string | null;
  /** IANA zone the cron expression is read in; default UTC. */
  timezone?: string;
  maxRetries?: number;
  backoff?: Partial<BackoffColumn>;
  timeoutMs?: number;
  tags?: string[];
  notify?: NotifyInput;
  /** Where a run's outcome is POSTed; `null` or `{}` (on update) removes them. */
  callbacks?: CallbacksColumn | null;
  /** Which responses count as success (default 2xx). */
  successCodes?: StatusCodeRule[];
  /** Which failures are retried (default any). */
  retryOn?: RetryRule[];
  /** The owner's attempts sharing a key, limited across the fleet; `null` (on update) removes it. */
  flowControl?: FlowControl | null;
  /** Recurring tasks: what becomes of missed occurrences. */
  misfire?: MisfirePolicy;
  /** Fill placeholders at each attempt. */
  template?: boolean;
}

/** Notification settings as given: merged into the stored ones; `afterConsecutiveFailures: null` (on update) removes it. */
/** On update, `null` removes `email` (back to the owner's) or `afterConsecutiveFailures`. */
export type NotifyInput = Partial<Omit<NotifyColumn, 'afterConsecutiveFailures' | 'email'>> & {
  email?: string | null;
  afterConsecutiveFailures?: number | null;
};

/** A partial update: any create field; `null` clears an optional one (`headers: null` removes every header). */
export type UpdateTaskInput = Omit<Partial<CreateTaskInput>, 'headers'> & { headers?: Record<string, string> | null };

/** Defaults from configuration (MAX_RETRIES, RETRY_DELAY_MS, …). */
export interface TaskDefaults {
  timeoutMs: number;
  maxRetries: number;
  retryDelayMs: number;
  retryMaxDelayMs: number;
}

/** Set by Punctual on every outbound request (or meaningless to set per request): a task may not set them. */
const FORBIDDEN_HEADERS = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'punctual-task-id',
  'punctual-run-id',
  'punctual-attempt',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
]);

/**
 * Header names whose values are credentials: sealed at rest and shown as "[redacted]". Broad on purpose (any name
 * containing `key` or `auth` — X-Api-Key, Ocp-Apim-Subscription-Key, X-Functions-Key, Proxy-Authorization, X-Auth-Token):
 * redacting a harmless value costs nothing, showing a credential cannot be undone.
 */
const SENSITIVE_HEADER = /key|token|secret|passw(?:or)?d|signature|session|credential|auth|cookie/i;

export const REDACTED = '[redacted]';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** What undici (and RFC 9110 field-value) lets through: tab, space, visible ASCII and obs-text 0x80–0xFF. */
const HEADER_VALUE = /^[\t\x20-\x7E\x80-\xFF]*$/;
const HEADER_VALUE_RULE = 'may contain only tab, space, visible ASCII and U+0080–U+00FF (no CR, LF, NUL or other control characters)';

const MAX_URL_LENGTH = 2048;

/** Servers refuse far shorter header sections than a 1 MiB body could carry; values are bounded by the schema. */
const MAX_HEADER_NAME_LENGTH = 256;

/** Whether a header's value is a credential, by its name (case-insensitive). */
export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADER.test(name);
}

/**
 * Checks a task's headers beyond their shape and splits them: what can be shown (sensitive values redacted)
 * and the sensitive values to seal. Names are compared case-insensitively; a repeat in other case is an error.
 */
export function splitHeaders(
  headers: Record<string, string>,
  options: { hasToken: boolean },
): { visible: Record<string, string>; sensitive: Record<string, string> } {
  const visible: Record<string, string> = {};
  const sensitive: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    const field = `body/headers/${name}`;
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) throw new InvalidInputError(field, 'is not a valid header name');
    if (name.length > MAX_HEADER_NAME_LENGTH) {
      throw new InvalidInputError(`${field.slice(0, 64)}…`, `is longer than ${MAX_HEADER_NAME_LENGTH} characters`);
    }
    if (FORBIDDEN_HEADERS.has(lower)) throw new InvalidInputError(field, 'is set by Punctual and cannot be set by a task');
    if (seen.has(lower)) throw new InvalidInputError(field, 'repeats a header name given in another case');
    if (!HEADER_VALUE.test(value)) throw new InvalidInputError(field, HEADER_VALUE_RULE);
    if (lower === 'authorization' && options.hasToken) {
      throw new InvalidInputError(field, 'conflicts with token: give the bearer token in `token` or the header, not both');
    }
    seen.add(lower);
    if (isSensitiveHeader(name)) {
      visible[name] = REDACTED;
      sensitive[name] = value;
    } else {
      visible[name] = value;
    }
  }
  return { visible, sensitive };
}

/** What decides whether a task's URL may name a private address (ALLOW_PRIVATE_TARGETS). */
export interface TargetPolicy {
  allowPrivateTargets: boolean;
}

/**
 * An absolute http(s) URL with a host and no credentials, returned normalized (`new URL(url).href`: `http:foo` becomes
 * `http://foo/`), so what is stored and shown is exactly what each attempt calls. A host that is an IP literal in a
 * range the worker's address guard blocks (any spelling: `127.1`, `0x7f.1`, `[::ffff:7f00:1]` …) is refused here
 * already, unless private targets are allowed; a host name is only checked when the worker resolves it.
 */
export function checkTargetUrl(url: string, policy: TargetPolicy, field = 'body/url'): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidInputError(field, 'must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new InvalidInputError(field, 'must use http or https');
  if (!parsed.hostname) throw new InvalidInputError(field, 'must name a host');
  if (parsed.username || parsed.password) {
    throw new InvalidInputError(field, 'must not carry credentials: use `token` or an Authorization header');
  }
  // Normalizing can lengthen a URL the schema let through (`https://host` gains a `/`).
  if (parsed.href.length > MAX_URL_LENGTH)
    throw new InvalidInputError(field, `must not be longer than ${MAX_URL_LENGTH} characters once normalized`);
  const literal = policy.allowPrivateTargets ? null : ipAddressOf(parsed.hostname);
  const blocked = literal === null ? null : checkAddress(literal);
  if (blocked !== null) {
    throw new InvalidInputError(
      field,
      `names the blocked address ${blocked.address} (${blocked.range}): workers only call public addresses`,
    );
  }
  return parsed.href;
}

/** The token is sent as `Authorization: Bearer <token>`, so it obeys the header value rule. */
export function checkToken<T extends string | null>(token: T, field = 'body/token'): T {
  if (token !== null && !HEADER_VALUE.test(token)) throw new InvalidInputError(field, HEADER_VALUE_RULE);
  return token;
}

/** A JSON body cannot go with HEAD, which never sends one. */
export function checkBodyAllowed(method: HttpMethod, body: JsonValue | undefined | null): void {
  if (method === 'HEAD' && body !== undefined && body !== null) {
    throw new InvalidInputError('body/body', 'cannot be sent with method HEAD');
  }
}

/** A schedule time as a Date; the schema has checked the format, this catches impossible dates. */
export function parseScheduledAt(value: string, field = 'body/scheduledAt'): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidInputError(field, 'must be an ISO-8601 date-time');
  return date;
}

export function resolveBackoff(backoff: Partial<BackoffColumn> | undefined, base: BackoffColumn): BackoffColumn {
  return { ...base, ...backoff };
}

export function defaultBackoff(defaults: TaskDefaults): BackoffColumn {
  return { type: 'exponential', delayMs: defaults.retryDelayMs, maxDelayMs: defaults.retryMaxDelayMs, jitter: false };
}

export function resolveNotify(notify: NotifyInput | undefined, base: NotifyColumn): NotifyColumn {
  const { afterConsecutiveFailures, email, ...rest } = { ...base, ...notify };
  return {
    ...rest,
    ...(email === undefined || email === null ? {} : { email }),
    ...(afterConsecutiveFailures === undefined || afterConsecutiveFailures === null ? {} : { afterConsecutiveFailures }),
  };
}

export const DEFAULT_NOTIFY: NotifyColumn = { onFailure: true, onRetry: false };

/** Tags keep their order, without repeats. */
export function normalizeTags(tags: string[] | undefined): string[] {
  return [...new Set(tags ?? [])];
}
