import { DST_MARKS } from '@punctual/scheduling';
import { type Static, Type } from 'typebox';
import { Timestamp } from './common.js';
import { StringEnum } from './string-enum.js';
import { ScheduleFields } from './tasks.js';

/** How many occurrences a preview lists: 1 to 100, 5 unless asked. */
const OccurrenceCount = Type.Integer({ minimum: 1, maximum: 100, default: 5, description: 'how many occurrences to list (1..100)' });

export const SchedulePreviewQuery = Type.Object(
  {
    cron: ScheduleFields.cron,
    timezone: Type.Optional(ScheduleFields.timezone),
    count: Type.Optional(OccurrenceCount),
    from: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'list the occurrences strictly after this instant (years 1970 to 2999); default now',
      }),
    ),
  },
  { additionalProperties: false },
);
export type SchedulePreviewQuery = Static<typeof SchedulePreviewQuery>;

export const TaskSchedulePreviewQuery = Type.Object({ count: Type.Optional(OccurrenceCount) }, { additionalProperties: false });
export type TaskSchedulePreviewQuery = Static<typeof TaskSchedulePreviewQuery>;

export const ScheduleOccurrence = Type.Object({
  at: Timestamp,
  local: Type.String({ description: "the same instant as the zone's wall-clock time, ISO-8601 with the zone's offset" }),
  dst: Type.Union([StringEnum(DST_MARKS), Type.Null()], {
    description:
      '"gap": the wall-clock time does not exist that night (spring forward) and the run is moved forward by the gap; ' +
      '"repeat": the wall-clock time exists twice that night (fall back) and runs in the first only; null otherwise',
  }),
});
export type ScheduleOccurrence = Static<typeof ScheduleOccurrence>;

export const ScheduleOccurrences = Type.Object(
  { occurrences: Type.Array(ScheduleOccurrence) },
  {
    title: 'ScheduleOccurrences',
    description: 'the runs the scheduler makes, in order, from the same code that schedules them',
    examples: [
      {
        occurrences: [
          { at: '2026-03-28T01:30:00.000Z', local: '2026-03-28T02:30:00+01:00', dst: null },
          { at: '2026-03-29T01:30:00.000Z', local: '2026-03-29T03:30:00+02:00', dst: 'gap' },
          { at: '2026-03-30T00:30:00.000Z', local: '2026-03-30T02:30:00+02:00', dst: null },
        ],
      },
    ],
  },
);
export type ScheduleOccurrences = Static<typeof ScheduleOccurrences>;
