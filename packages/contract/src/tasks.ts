import { HTTP_METHODS } from '@punctual/executor/outbound-request';
import { BACKOFF_TYPES, BULK_ACTIONS, MISFIRE_POLICIES, RETRY_FAILURE_KINDS, STATUS_CLASSES, TASK_STATUSES } from '@punctual/scheduling';
import { type Static, Type } from 'typebox';
import { NullableTimestamp, PaginationQuery, StringMap, Timestamp, Uuid } from './common.js';
import { AttemptOutcome } from './logs.js';
import { StringEnum } from './string-enum.js';

export const TaskStatus = StringEnum(TASK_STATUSES, {
  description:
    'pending: waiting for nextRunAt · running: an attempt is in flight · retrying: an attempt failed, the next is due at nextRunAt · ' +
    'completed: succeeded (terminal) · failed: attempts used up (terminal) · cancelled (terminal) · paused: nothing runs until resumed',
});
export type TaskStatus = Static<typeof TaskStatus>;
export const HttpMethod = StringEnum(HTTP_METHODS);
export type HttpMethod = Static<typeof HttpMethod>;

const Backoff = Type.Object(
  {
    type: StringEnum(BACKOFF_TYPES, { description: 'fixed: delayMs; exponential: delayMs × 2^(n-1) for the n-th retry' }),
    delayMs: Type.Integer({ minimum: 0, maximum: 604_800_000 }),
    maxDelayMs: Type.Integer({ minimum: 0, maximum: 604_800_000, description: 'cap on every delay, including one a Retry-After asks for' }),
    jitter: Type.Boolean({ description: 'adds a random 0–25 %' }),
  },
  { additionalProperties: false },
);

const AfterConsecutiveFailures = Type.Integer({
  minimum: 1,
  maximum: 1000,
  description:
    "recurring: one alert email when this many runs in a row failed, one 'recovered' email at the next success; replaces " +
    'the per-run failure email. Refused (400) on a one-off task',
});

const Notify = Type.Object(
  {
    onFailure: Type.Boolean({ description: 'email when a run fails for good (default true)' }),
    onRetry: Type.Boolean({ description: 'email on every failed attempt that will be retried (default false)' }),
    email: Type.Optional(
      Type.String({
        format: 'email',
        maxLength: 254,
        description:
          "default: the owner's email. Another address only in a domain the server allows (NOTIFY_EMAIL_DOMAINS), so " +
          'Punctual is no open mail relay: any other is refused (400); ask an admin to add the domain',
      }),
    ),
    afterConsecutiveFailures: Type.Optional(AfterConsecutiveFailures),
  },
  { additionalProperties: false },
);

/** A callback URL: checked like the task's `url`. */
const CallbackUrl = Type.String({
  format: 'uri',
  maxLength: 2048,
  description:
    'absolute http(s) URL, checked and normalized like the task url (no credentials; an IP-literal private or loopback host ' +
    'is refused unless ALLOW_PRIVATE_TARGETS)',
});

export const Callbacks = Type.Object(
  {
    onSuccess: Type.Optional(CallbackUrl),
    onFailure: Type.Optional(CallbackUrl),
  },
  {
    additionalProperties: false,
    description:
      'when a run ends, a signed POST (Standard Webhooks, webhook-id `<runId>.<type>`) of { type: run.succeeded | run.failed, ' +
      'taskId, runId, attempts, statusCode, durationMs, error, responseBody (first 4 KiB), finishedAt } to onSuccess or ' +
      'onFailure; a failed delivery is retried with backoff for up to 24 h. Each delivery is listed at GET /tasks/{id}/notifications',
  },
);
export type Callbacks = Static<typeof Callbacks>;

const StatusCodeRule = Type.Union([StringEnum(STATUS_CLASSES), Type.Integer({ minimum: 100, maximum: 599 })]);

const SuccessCodes = Type.Array(StatusCodeRule, {
  minItems: 1,
  maxItems: 50,
  description:
    'which responses count as success: status classes ("2xx") or codes (404); default ["2xx"]. A response is a success when its ' +
    'status matches and its body was read within the deadline; any other status fails the attempt with error `HTTP <status>` ' +
    '(redirects are not followed: a 3xx counts only when listed). Repeats are dropped',
  examples: [['2xx', 404]],
});

const RetryOn = Type.Array(Type.Union([StringEnum(RETRY_FAILURE_KINDS), StatusCodeRule]), {
  minItems: 1,
  maxItems: 50,
  description:
    'which failures are retried: "any" (default), status classes ("5xx") or codes (429) of a response outside successCodes, ' +
    '"network" (no whole response: refused, reset, DNS, TLS, a body that broke off) and "timeout" (the deadline passed). A call ' +
    'Punctual refused to send (a blocked address, a secret that no longer opens) is retried under "any" only; a worker lost ' +
    'mid-attempt is always retried. A failure not listed ends the run at once, as if its attempts were used up (a one-off ' +
    'task fails, a recurring one keeps its schedule), and the log says why: `HTTP 400 (not retried: retryOn is 5xx, network)`. ' +
    'Refused (400): "any" beside other entries, and a status rule that successCodes counts as success. Repeats are dropped',
  examples: [['5xx', 429, 'network', 'timeout']],
});

const FlowControl = Type.Object(
  {
    key: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'printable ASCII without spaces; scoped to the owner, so two users never share a key',
    }),
    parallelism: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'attempts of the key in flight at once' })),
    ratePerSecond: Type.Optional(
      Type.Number({
        minimum: 0.001,
        maximum: 10_000,
        description: 'attempts of the key started per second, 0.001 (one every 1,000 s) to 10,000 (0.1: one every 10 s)',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      "the owner's attempts that share `key`: at most `parallelism` in flight and `ratePerSecond` started, across the whole " +
      'fleet, in the order they are due. An attempt over a limit waits its turn without using an attempt. At least one of ' +
      'parallelism and ratePerSecond',
    examples: [{ key: 'billing-api', parallelism: 2, ratePerSecond: 5 }],
  },
);

const Misfire = StringEnum(MISFIRE_POLICIES, {
  description:
    'recurring tasks: what to do with occurrences no attempt could start within MISFIRE_GRACE_MS of their time (workers down, ' +
    'paused, a long attempt): "once" (default: one catch-up run for all of them), "skip" (none: the next run is the next ' +
    'occurrence not yet missed), "all" (each, oldest first, at most 100)',
  examples: ['all'],
});

const Template = Type.Boolean({
  description:
    "true: {{taskId}} {{runId}} {{attempt}} {{scheduledFor}} {{now}} in the URL's query, header values and the body are filled in " +
    'at each attempt; default false (braces are sent as they are). {{attempt}} is 1-based; {{scheduledFor}} is when the attempt ' +
    "was due (the log's scheduledFor: the occurrence for a first attempt, the retry time for a retry) and {{now}} when it " +
    'started, both ISO 8601 UTC with milliseconds. Values are percent-encoded in the query, as they are in header values ' +
    '(sensitive ones too; never in `token`) and a text body, and filled inside the string values of a JSON body (a number ' +
    'cannot be a placeholder: `{"n": "{{attempt}}"}` sends a string). Every {{…}} must be one of the five, written exactly: ' +
    'an unknown or misspelt one (`{{foo}}`, `{{ taskId }}`), one in the URL outside its query (scheme, host, port, path, ' +
    'fragment) or in a JSON object key is refused (400 naming body/url, body/headers/<name> or body/body). The stored task ' +
    'keeps the placeholders; the signature covers the body as filled',
  examples: [true],
});

const Headers = StringMap(Type.String({ maxLength: 8192 }), {
  maxProperties: 50,
  description:
    'String values, ≤ 50. Names are HTTP tokens of ≤ 256 characters; values may hold tab, space, visible ASCII and U+0080–U+00FF only ' +
    '(no CR, LF or other control characters, nothing above U+00FF). Hop-by-hop and Punctual-set headers (Host, Connection, Content-Length, Transfer-Encoding, ' +
    'Keep-Alive, TE, Trailer, Upgrade, Expect, Punctual-*, webhook-*) are refused. Values of sensitive headers ' +
    '(Authorization, Cookie, X-Api-Key, Ocp-Apim-Subscription-Key, X-Functions-Key and any name containing key, token, secret, ' +
    'password, signature, session, credential or auth) are encrypted at rest, bound to the URL\'s origin, and returned as "[redacted]". ' +
    'Replaced as a whole on update.',
});

/** The fields a client can set, shared by create (some required) and update (all optional, nullable where clearable). */
const taskFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ maxLength: 2000 }),
  url: Type.String({
    format: 'uri',
    maxLength: 2048,
    description:
      'absolute http(s) URL with a host and no credentials (no `user:pass@`); stored and returned normalized ' +
      '(WHATWG `new URL(url).href`: `http:example.com` becomes `http://example.com/`), which is exactly what is called. ' +
      'An IP-literal host in a loopback, private, link-local or other non-public range is refused (400) unless the ' +
      'server sets ALLOW_PRIVATE_TARGETS; a host name is checked by the worker on every address it resolves to. With ' +
      '`template`, {{…}} placeholders may stand in the query only',
  }),
  method: StringEnum(HTTP_METHODS, { default: 'GET' }),
  headers: Headers,
  body: Type.Unknown({
    description:
      'an object, array, number or boolean is sent as JSON (content-type application/json unless set); a string is sent as is (text/plain unless set); not with HEAD',
  }),
  token: Type.String({
    minLength: 1,
    maxLength: 4096,
    description: 'sent as `Authorization: Bearer <token>` (so header value characters only); write-only, encrypted at rest',
  }),
  scheduledAt: Type.String({ format: 'date-time', description: 'when to run; default now; a past time runs at once' }),
  cron: Type.String({
    minLength: 1,
    maxLength: 200,
    description:
      'recurring instead of scheduledAt: 5 fields (minute hour day-of-month month day-of-week), or 6 with leading seconds. ' +
      "Each occurrence is its own run; what becomes of occurrences missed (workers down, paused, a long attempt) is `misfire`'s. " +
      'GET /api/v1/schedules/next previews a cron expression, GET /api/v1/tasks/{id}/next a task.',
  }),
  timezone: Type.String({
    minLength: 1,
    maxLength: 64,
    description:
      'IANA zone the cron expression is read in (default UTC). On a spring-forward night a time that does not exist runs at the ' +
      'first instant after the gap; on a fall-back night a daily time runs once.',
  }),
  maxRetries: Type.Integer({ minimum: 0, maximum: 25, description: 'total attempts per run = 1 + maxRetries; default MAX_RETRIES' }),
  // TypeBox 1.x's Partial keeps the properties, not the object's options: unknown fields stay refused only if restated.
  backoff: Type.Partial(Backoff, {
    additionalProperties: false,
    description: 'a partial backoff fills the rest from the defaults (RETRY_DELAY_MS, RETRY_MAX_DELAY_MS)',
  }),
  timeoutMs: Type.Integer({
    minimum: 100,
    maximum: 300_000,
    description: 'one deadline for the whole attempt, reading the response included',
  }),
  tags: Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 20 }),
  notify: Type.Partial(Notify, { additionalProperties: false }),
  callbacks: Callbacks,
  successCodes: SuccessCodes,
  retryOn: RetryOn,
  flowControl: FlowControl,
  misfire: Misfire,
  template: Template,
};

/** A recurring schedule's fields as tasks take them, for the schedule preview's query. */
export const ScheduleFields = { cron: taskFields.cron, timezone: taskFields.timezone };

/** The settings create and update both take as they are, each optional. */
const optionalSettings = {
  timezone: Type.Optional(taskFields.timezone),
  maxRetries: Type.Optional(taskFields.maxRetries),
  backoff: Type.Optional(taskFields.backoff),
  timeoutMs: Type.Optional(taskFields.timeoutMs),
  tags: Type.Optional(taskFields.tags),
  successCodes: Type.Optional(taskFields.successCodes),
  retryOn: Type.Optional(taskFields.retryOn),
  misfire: Type.Optional(taskFields.misfire),
  template: Type.Optional(taskFields.template),
};

export const CreateTaskBody = Type.Object(
  {
    name: taskFields.name,
    description: Type.Optional(Type.Union([taskFields.description, Type.Null()])),
    url: taskFields.url,
    method: Type.Optional(taskFields.method),
    headers: Type.Optional(taskFields.headers),
    body: Type.Optional(taskFields.body),
    token: Type.Optional(taskFields.token),
    scheduledAt: Type.Optional(taskFields.scheduledAt),
    cron: Type.Optional(taskFields.cron),
    ...optionalSettings,
    notify: Type.Optional(taskFields.notify),
    callbacks: Type.Optional(taskFields.callbacks),
    flowControl: Type.Optional(taskFields.flowControl),
  },
  { additionalProperties: false },
);
export type CreateTaskBody = Static<typeof CreateTaskBody>;

/** Other request headers pass: only the ones named here are checked. */
export const CreateTaskHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description:
        'printable ASCII, no spaces. A repeat by the same user within 24 h returns the original task (200, ' +
        '`Idempotent-Replayed: true`) and creates nothing; with a different body it is a 409. Keys are per user; ' +
        'deleting the task frees its key.',
    }),
  ),
});
export type CreateTaskHeaders = Static<typeof CreateTaskHeaders>;

export const UpdateTaskBody = Type.Object(
  {
    name: Type.Optional(taskFields.name),
    description: Type.Optional(Type.Union([taskFields.description, Type.Null()])),
    url: Type.Optional(taskFields.url),
    // No default here: an update without `method` keeps the task's.
    method: Type.Optional(HttpMethod),
    headers: Type.Optional(
      Type.Union([taskFields.headers, Type.Null()], {
        description:
          'replaces all headers; null removes them. A url on another origin (scheme, host or port) requires headers again when sensitive ones are stored',
      }),
    ),
    body: Type.Optional(taskFields.body),
    token: Type.Optional(
      Type.Union([taskFields.token, Type.Null()], {
        description:
          'null removes the token. A url on another origin (scheme, host or port) requires token again (or null) when one is stored',
      }),
    ),
    scheduledAt: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'reschedules: the old time never fires. On a recurring task only together with cron: null',
      }),
    ),
    cron: Type.Optional(
      Type.Union([taskFields.cron, Type.Null()], {
        description:
          'makes the task recurring from its next occurrence (the old time never fires); null makes it one-off (scheduledAt required)',
      }),
    ),
    ...optionalSettings,
    notify: Type.Optional(
      Type.Object(
        {
          ...Type.Partial(Notify).properties,
          email: Type.Optional(
            Type.Union([Notify.properties.email, Type.Null()], { description: "null: back to the default, the owner's email" }),
          ),
          afterConsecutiveFailures: Type.Optional(
            Type.Union([AfterConsecutiveFailures, Type.Null()], { description: 'null removes it (needed before making the task one-off)' }),
          ),
        },
        { additionalProperties: false, description: 'merged into the stored settings: fields not given keep their values' },
      ),
    ),
    callbacks: Type.Optional(
      Type.Union([taskFields.callbacks, Type.Null()], { description: 'replaces the callbacks as a whole; null or {} removes them' }),
    ),
    flowControl: Type.Optional(
      Type.Union([taskFields.flowControl, Type.Null()], { description: 'replaces flow control as a whole; null removes it' }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateTaskBody = Static<typeof UpdateTaskBody>;

export const Task = Type.Object(
  {
    id: Uuid,
    userId: Uuid,
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    url: Type.String({ description: 'normalized: what each attempt calls' }),
    method: HttpMethod,
    headers: StringMap(),
    body: Type.Unknown(),
    hasToken: Type.Boolean(),
    scheduledAt: NullableTimestamp,
    cron: Type.Union([Type.String(), Type.Null()]),
    timezone: Type.String(),
    nextRunAt: NullableTimestamp,
    status: TaskStatus,
    maxRetries: Type.Integer(),
    backoff: Backoff,
    timeoutMs: Type.Integer(),
    attempts: Type.Integer({ description: 'attempts made in the current run' }),
    runCount: Type.Integer({ description: 'runs finished (succeeded or attempts used up)' }),
    lastRunAt: Type.Union([Timestamp, Type.Null()], { description: 'when the latest attempt started' }),
    lastOutcome: Type.Union([AttemptOutcome, Type.Null()], { description: 'outcome of the latest attempt' }),
    lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
    lastError: Type.Union([Type.String(), Type.Null()]),
    tags: Type.Array(Type.String()),
    notify: Notify,
    callbacks: Callbacks,
    successCodes: SuccessCodes,
    retryOn: RetryOn,
    flowControl: Type.Union([FlowControl, Type.Null()]),
    misfire: Misfire,
    template: Template,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Task', title: 'Task' },
);
export type Task = Static<typeof Task>;

export const TaskStatusResponse = Type.Object({
  id: Uuid,
  status: TaskStatus,
  nextRunAt: NullableTimestamp,
  attempts: Type.Integer(),
  lastOutcome: Type.Union([AttemptOutcome, Type.Null()]),
});
export type TaskStatusResponse = Static<typeof TaskStatusResponse>;

export const TASK_SORTS = ['createdAt', '-createdAt', 'nextRunAt', '-nextRunAt'] as const;

export const TaskListQuery = Type.Object(
  {
    ...PaginationQuery,
    status: Type.Optional(TaskStatus),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'case-insensitive substring of name, description or url' })),
    userId: Type.Optional(
      Type.String({
        format: 'uuid',
        description:
          "admins: one user's tasks. For a user, their own id changes nothing and another user's id gives an empty page: " +
          'a filter never widens what a user sees, and the answer does not tell whether that user exists',
      }),
    ),
    sort: Type.Optional(
      StringEnum(TASK_SORTS, {
        default: '-createdAt',
        description:
          '"-" for descending; ties by id. A task with no next run (finished, cancelled) sorts as the latest: last by nextRunAt, first by -nextRunAt',
      }),
    ),
  },
  { additionalProperties: false },
);
export type TaskListQuery = Static<typeof TaskListQuery>;

export const BulkActionBody = Type.Object(
  {
    ids: Type.Array(Uuid, { minItems: 1, maxItems: 100 }),
    action: StringEnum(BULK_ACTIONS),
  },
  { additionalProperties: false },
);
export type BulkActionBody = Static<typeof BulkActionBody>;

export const BulkActionResponse = Type.Object({
  results: Type.Array(
    Type.Union([
      Type.Object({ id: Uuid, ok: Type.Literal(true) }),
      Type.Object({ id: Uuid, ok: Type.Literal(false), statusCode: Type.Integer(), message: Type.String() }),
    ]),
  ),
});
export type BulkActionResponse = Static<typeof BulkActionResponse>;

export const RetryFailedBody = Type.Object(
  {
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'only tasks with this tag' })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'tasks whose last attempt started at or after this time' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'tasks whose last attempt started before this time' })),
    dryRun: Type.Optional(Type.Boolean({ default: false, description: 'count only: nothing changes' })),
    userId: Type.Optional(
      Type.String({
        format: 'uuid',
        description:
          "admins: one user's tasks (default: everyone's). For a user, their own id changes nothing and another user's id " +
          'matches nothing, as in lists',
      }),
    ),
  },
  { additionalProperties: false },
);
export type RetryFailedBody = Static<typeof RetryFailedBody>;

export const RetryFailedResponse = Type.Object({
  matched: Type.Integer({ minimum: 0, description: 'failed one-off tasks in the window (at most 10,000 per call)' }),
  retried: Type.Integer({
    minimum: 0,
    description:
      'tasks re-driven as the retry action does; fewer than matched when an owner has no room left under MAX_TASKS_PER_USER. ' +
      'With dryRun: how many would be (the quota applied as it stands), though none is',
  }),
});
export type RetryFailedResponse = Static<typeof RetryFailedResponse>;
