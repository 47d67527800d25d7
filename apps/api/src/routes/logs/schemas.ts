import { Type } from '@sinclair/typebox';
import { NullableTimestamp, PaginationQuery, Timestamp, Uuid } from '../../schemas/common.js';

const Outcome = Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]);

export const TaskLog = Type.Object(
  {
    id: Uuid,
    taskId: Uuid,
    runId: Uuid,
    attempt: Type.Integer({ minimum: 1, description: '1-based within the run' }),
    outcome: Outcome,
    statusCode: Type.Union([Type.Integer(), Type.Null()]),
    durationMs: Type.Union([Type.Integer(), Type.Null()]),
    error: Type.Union([Type.String(), Type.Null()], {
      description: '"HTTP 503", "timeout after 10000 ms", "connect ECONNREFUSED 10.0.0.1:443", …',
    }),
    responseHeaders: Type.Object({}, { additionalProperties: Type.String() }),
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

export const TaskLogsQuery = Type.Object({ ...PaginationQuery, outcome: Type.Optional(Outcome) }, { additionalProperties: false });

export const LogsQuery = Type.Object(
  {
    ...PaginationQuery,
    taskId: Type.Optional(Uuid),
    outcome: Type.Optional(Outcome),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'attempts started at or after' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'attempts started before' })),
  },
  { additionalProperties: false },
);
