import { type TLiteral, Type } from '@sinclair/typebox';
import { NullableTimestamp, PaginationQuery, Timestamp, Uuid } from '../../schemas/common.js';

const TASK_STATUSES = ['pending', 'running', 'retrying', 'completed', 'failed', 'cancelled', 'paused'] as const;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

const literals = <T extends string>(values: readonly T[]) => values.map((value) => Type.Literal(value)) as TLiteral<T>[];

export const TaskStatus = Type.Union(literals(TASK_STATUSES), {
  description:
    'pending: waiting for nextRunAt · running: an attempt is in flight · retrying: an attempt failed, the next is due at nextRunAt · ' +
    'completed: succeeded (terminal) · failed: attempts used up (terminal) · cancelled (terminal) · paused: nothing runs until resumed',
});
export const HttpMethod = Type.Union(literals(METHODS), { default: 'GET' });

const Backoff = Type.Object(
  {
    type: Type.Union([Type.Literal('fixed'), Type.Literal('exponential')], { description: 'fixed: delayMs; exponential: delayMs × 2^(n-1) for the n-th retry' }),
    delayMs: Type.Integer({ minimum: 0, maximum: 604_800_000 }),
    maxDelayMs: Type.Integer({ minimum: 0, maximum: 604_800_000, description: 'cap on every delay, including one a Retry-After asks for' }),
    jitter: Type.Boolean({ description: 'adds a random 0–25 %' }),
  },
  { additionalProperties: false },
);

const Notify = Type.Object(
  {
    onFailure: Type.Boolean({ description: 'email when a run fails for good (default true)' }),
    onRetry: Type.Boolean({ description: 'email on every failed attempt that will be retried (default false)' }),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254, description: "default: the owner's email" })),
  },
  { additionalProperties: false },
);

const Headers = Type.Object(
  {},
  {
    additionalProperties: Type.String({ maxLength: 8192 }),
    maxProperties: 50,
    description:
      'String values, ≤ 50, no CR/LF. Hop-by-hop and Punctual-set headers (Host, Connection, Content-Length, Transfer-Encoding, ' +
      'Keep-Alive, TE, Trailer, Upgrade, Expect, Punctual-*, webhook-*) are refused. Values of sensitive headers ' +
      '(Authorization, Cookie, names containing token, secret, password, api-key, session, signature, credential) are ' +
      'encrypted at rest and returned as "[redacted]". Replaced as a whole on update.',
  },
);

/** The fields a client can set, shared by create (some required) and update (all optional, nullable where clearable). */
const taskFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ maxLength: 2000 }),
  url: Type.String({ format: 'uri', maxLength: 2048, description: 'absolute http(s) URL; no credentials in it' }),
  method: HttpMethod,
  headers: Headers,
  body: Type.Unknown({
    description: 'an object, array, number or boolean is sent as JSON (content-type application/json unless set); a string is sent as is (text/plain unless set); not with HEAD',
  }),
  token: Type.String({ minLength: 1, maxLength: 4096, description: 'sent as `Authorization: Bearer <token>`; write-only, encrypted at rest' }),
  scheduledAt: Type.String({ format: 'date-time', description: 'when to run; default now; a past time runs at once' }),
  maxRetries: Type.Integer({ minimum: 0, maximum: 25, description: 'total attempts per run = 1 + maxRetries; default MAX_RETRIES' }),
  backoff: Type.Partial(Backoff, { description: 'a partial backoff fills the rest from the defaults (RETRY_DELAY_MS, RETRY_MAX_DELAY_MS)' }),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 300_000, description: 'one deadline for the whole attempt, reading the response included' }),
  tags: Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 20 }),
  notify: Type.Partial(Notify),
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
    maxRetries: Type.Optional(taskFields.maxRetries),
    backoff: Type.Optional(taskFields.backoff),
    timeoutMs: Type.Optional(taskFields.timeoutMs),
    tags: Type.Optional(taskFields.tags),
    notify: Type.Optional(taskFields.notify),
  },
  { additionalProperties: false },
);

export const UpdateTaskBody = Type.Object(
  {
    name: Type.Optional(taskFields.name),
    description: Type.Optional(Type.Union([taskFields.description, Type.Null()])),
    url: Type.Optional(taskFields.url),
    method: Type.Optional(Type.Union(literals(METHODS))),
    headers: Type.Optional(taskFields.headers),
    body: Type.Optional(taskFields.body),
    token: Type.Optional(Type.Union([taskFields.token, Type.Null()], { description: 'null removes the token' })),
    scheduledAt: Type.Optional(Type.String({ format: 'date-time', description: 'reschedules: the old time never fires' })),
    maxRetries: Type.Optional(taskFields.maxRetries),
    backoff: Type.Optional(taskFields.backoff),
    timeoutMs: Type.Optional(taskFields.timeoutMs),
    tags: Type.Optional(taskFields.tags),
    notify: Type.Optional(taskFields.notify),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const Task = Type.Object(
  {
    id: Uuid,
    userId: Uuid,
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    url: Type.String(),
    method: Type.String(),
    headers: Type.Object({}, { additionalProperties: Type.String() }),
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
    lastOutcome: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Null()], { description: 'outcome of the latest attempt' }),
    lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
    lastError: Type.Union([Type.String(), Type.Null()]),
    tags: Type.Array(Type.String()),
    notify: Notify,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Task', title: 'Task' },
);

export const TaskStatusResponse = Type.Object({
  id: Uuid,
  status: TaskStatus,
  nextRunAt: NullableTimestamp,
  attempts: Type.Integer(),
  lastOutcome: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Null()]),
});

export const TaskListQuery = Type.Object(
  {
    ...PaginationQuery,
    status: Type.Optional(TaskStatus),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'case-insensitive substring of name, description or url' })),
    userId: Type.Optional(Type.String({ format: 'uuid', description: "admins only: one user's tasks (ignored for users, who see only their own)" })),
    sort: Type.Optional(
      Type.Union([Type.Literal('createdAt'), Type.Literal('-createdAt'), Type.Literal('nextRunAt'), Type.Literal('-nextRunAt')], { default: '-createdAt' }),
    ),
  },
  { additionalProperties: false },
);
