import { ATTEMPT_OUTCOMES } from '@punctual/scheduling';
import { type Static, Type } from 'typebox';
import { NullableTimestamp, PaginationQuery, StringMap, Timestamp, Uuid } from './common.js';
import { StringEnum } from './string-enum.js';

export const AttemptOutcome = StringEnum(ATTEMPT_OUTCOMES);
export type AttemptOutcome = Static<typeof AttemptOutcome>;

export const TaskLog = Type.Object(
  {
    id: Uuid,
    taskId: Uuid,
    runId: Uuid,
    attempt: Type.Integer({ minimum: 1, description: '1-based within the run' }),
    outcome: AttemptOutcome,
    statusCode: Type.Union([Type.Integer(), Type.Null()]),
    durationMs: Type.Union([Type.Integer(), Type.Null()]),
    error: Type.Union([Type.String(), Type.Null()], {
      description:
        '"HTTP 503", "timeout after 10000 ms", "connect ECONNREFUSED 10.0.0.1:443", …; a failure the task\'s retryOn does not ' +
        'list, that ended its run with attempts left, says so: "HTTP 400 (not retried: retryOn is 5xx, network)"',
    }),
    responseHeaders: StringMap(),
    responseBody: Type.Union([Type.String(), Type.Null()], { description: 'the first RESPONSE_BODY_LIMIT_BYTES bytes as text' }),
    responseTruncated: Type.Boolean(),
    scheduledFor: Timestamp,
    startedAt: Timestamp,
    finishedAt: NullableTimestamp,
    workerId: Type.String(),
    nextRetryAt: NullableTimestamp,
  },
  { $id: 'TaskLog', title: 'TaskLog', description: 'One attempt. Attempts still in flight are not listed (the task shows `running`).' },
);
export type TaskLog = Static<typeof TaskLog>;

export const TaskLogsQuery = Type.Object({ ...PaginationQuery, outcome: Type.Optional(AttemptOutcome) }, { additionalProperties: false });
export type TaskLogsQuery = Static<typeof TaskLogsQuery>;

export const LogsQuery = Type.Object(
  {
    ...PaginationQuery,
    taskId: Type.Optional(Uuid),
    outcome: Type.Optional(AttemptOutcome),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'attempts started at or after' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'attempts started before' })),
  },
  { additionalProperties: false },
);
export type LogsQuery = Static<typeof LogsQuery>;
