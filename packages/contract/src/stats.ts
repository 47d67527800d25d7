import { TASK_STATUSES, type TaskStatus } from '@punctual/scheduling';
import { type Static, Type } from 'typebox';

export const StatsQuery = Type.Object(
  {
    userId: Type.Optional(
      Type.String({
        format: 'uuid',
        description:
          "admins: one user's stats instead of everyone's. For a user, their own id changes nothing and another user's id " +
          "gives all zeros: a user never sees anyone else's numbers, and the answer does not tell whether that user exists",
      }),
    ),
  },
  { additionalProperties: false },
);
export type StatsQuery = Static<typeof StatsQuery>;

const count = Type.Integer({ minimum: 0 });
const attemptCounts = { total: count, succeeded: count, failed: count };
const byStatus = Object.fromEntries(TASK_STATUSES.map((status) => [status, count])) as Record<TaskStatus, typeof count>;

export const AttemptCounts = Type.Object(attemptCounts);
export type AttemptCounts = Static<typeof AttemptCounts>;

export const Stats = Type.Object(
  {
    tasks: Type.Object({
      total: count,
      byStatus: Type.Object(byStatus, { description: 'every status, 0 included' }),
    }),
    executions: Type.Object(
      {
        ...attemptCounts,
        successRate: Type.Number({ minimum: 0, maximum: 1, description: 'succeeded / total; 0 when there is no attempt yet' }),
        avgDurationMs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
          description: 'mean duration of the finished attempts, rounded to the millisecond; null when there is none',
        }),
        last24h: Type.Object(attemptCounts, { description: 'finished attempts started in the last 24 hours' }),
      },
      { description: 'finished attempts (one per try; retries count); attempts in flight are not counted' },
    ),
  },
  { title: 'Stats' },
);
export type Stats = Static<typeof Stats>;

/** At most this many buckets in one timeline (hours × 60 / bucketMinutes). */
export const MAX_TIMELINE_BUCKETS = 500;

export const TimelineQuery = Type.Object(
  {
    userId: StatsQuery.properties.userId,
    hours: Type.Integer({
      minimum: 1,
      maximum: 720,
      default: 24,
      description: 'how far back the timeline reaches, in hours (up to 30 days)',
    }),
    bucketMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      default: 60,
      description: `the width of each bucket, in minutes; at most ${MAX_TIMELINE_BUCKETS} buckets (hours × 60 / bucketMinutes)`,
    }),
  },
  { additionalProperties: false },
);
export type TimelineQuery = Static<typeof TimelineQuery>;

const milliseconds = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]);

export const Timeline = Type.Object(
  {
    bucketMinutes: Type.Integer({ minimum: 1 }),
    from: Type.String({
      format: 'date-time',
      description: 'the start of the first bucket: the first multiple of the width (in UTC) after now minus `hours`',
    }),
    until: Type.String({ format: 'date-time', description: 'now: the last bucket is still filling' }),
    buckets: Type.Array(
      Type.Object({
        start: Type.String({ format: 'date-time' }),
        succeeded: count,
        failed: count,
        lateness: Type.Object(
          { p50Ms: milliseconds, p95Ms: milliseconds, maxMs: milliseconds },
          { description: 'how long after its due time each attempt started (median, 95th percentile, worst); null for no attempt' },
        ),
      }),
      { description: 'every bucket from `from` to now, oldest first, empty ones included' },
    ),
  },
  {
    title: 'StatsTimeline',
    description: 'Finished attempts per bucket by the time they started; attempts in flight are not counted',
  },
);
export type Timeline = Static<typeof Timeline>;
