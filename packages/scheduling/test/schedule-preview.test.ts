import { describe, expect, it } from 'vitest';
import {
  InvalidScheduleError,
  localIso,
  nextOccurrence,
  nextStateAfterAttempt,
  occurrencesAfter,
  previewSchedule,
  previewTaskSchedule,
  type CronSchedule,
  type MisfirePolicy,
  type FinishedAttempt,
  type PreviewedOccurrence,
} from '../src/index.js';

/** `at local dst` of each occurrence, one string each, for compact tables. */
function lines(occurrences: PreviewedOccurrence[]): string[] {
  return occurrences.map(({ at, local, dst }) => `${at} ${local} ${dst ?? '-'}`);
}

// Berlin: 2026-03-29 01:00Z 02:00 CET -> 03:00 CEST; 2026-10-25 01:00Z 03:00 CEST -> 02:00 CET.
// New York: 2026-03-08 07:00Z 02:00 EST -> 03:00 EDT; 2026-11-01 06:00Z 02:00 EDT -> 01:00 EST.
const NIGHTS: { name: string; cron: string; timezone: string; after: string; expected: string[] }[] = [
  {
    name: 'Berlin spring gap, 5 fields',
    cron: '30 2 * * *',
    timezone: 'Europe/Berlin',
    after: '2026-03-28T00:00:00Z',
    expected: [
      '2026-03-28T01:30:00.000Z 2026-03-28T02:30:00+01:00 -',
      '2026-03-29T01:30:00.000Z 2026-03-29T03:30:00+02:00 gap',
      '2026-03-30T00:30:00.000Z 2026-03-30T02:30:00+02:00 -',
    ],
  },
  {
    name: 'Berlin spring gap, 6 fields',
    cron: '15 30 2 * * *',
    timezone: 'Europe/Berlin',
    after: '2026-03-28T00:00:00Z',
    expected: [
      '2026-03-28T01:30:15.000Z 2026-03-28T02:30:15+01:00 -',
      '2026-03-29T01:30:15.000Z 2026-03-29T03:30:15+02:00 gap',
      '2026-03-30T00:30:15.000Z 2026-03-30T02:30:15+02:00 -',
    ],
  },
  {
    name: 'Berlin fall repeat, 5 fields',
    cron: '30 2 * * *',
    timezone: 'Europe/Berlin',
    after: '2026-10-24T00:00:00Z',
    expected: [
      '2026-10-24T00:30:00.000Z 2026-10-24T02:30:00+02:00 -',
      '2026-10-25T00:30:00.000Z 2026-10-25T02:30:00+02:00 repeat',
      '2026-10-26T01:30:00.000Z 2026-10-26T02:30:00+01:00 -',
    ],
  },
  {
    name: 'Berlin fall repeat, 6 fields',
    cron: '0 */20 2 * * *',
    timezone: 'Europe/Berlin',
    after: '2026-10-24T23:00:00Z',
    expected: [
      '2026-10-25T00:00:00.000Z 2026-10-25T02:00:00+02:00 repeat',
      '2026-10-25T00:20:00.000Z 2026-10-25T02:20:00+02:00 repeat',
      '2026-10-25T00:40:00.000Z 2026-10-25T02:40:00+02:00 repeat',
      '2026-10-26T01:00:00.000Z 2026-10-26T02:00:00+01:00 -',
    ],
  },
  {
    name: 'Berlin spring gap, several times in the skipped hour',
    cron: '*/20 2 * * *',
    timezone: 'Europe/Berlin',
    after: '2026-03-29T00:00:00Z',
    expected: [
      '2026-03-29T01:00:00.000Z 2026-03-29T03:00:00+02:00 gap',
      '2026-03-29T01:20:00.000Z 2026-03-29T03:20:00+02:00 gap',
      '2026-03-29T01:40:00.000Z 2026-03-29T03:40:00+02:00 gap',
      '2026-03-30T00:00:00.000Z 2026-03-30T02:00:00+02:00 -',
    ],
  },
  {
    name: 'Berlin every hour, spring: the skipped 02:00 is 03:00, which fires anyway',
    cron: '0 * * * *',
    timezone: 'Europe/Berlin',
    after: '2026-03-28T23:30:00Z',
    expected: [
      '2026-03-29T00:00:00.000Z 2026-03-29T01:00:00+01:00 -',
      '2026-03-29T01:00:00.000Z 2026-03-29T03:00:00+02:00 -',
      '2026-03-29T02:00:00.000Z 2026-03-29T04:00:00+02:00 -',
    ],
  },
  {
    name: 'Berlin every hour, fall: both copies of 02:00 fire',
    cron: '0 * * * *',
    timezone: 'Europe/Berlin',
    after: '2026-10-24T23:30:00Z',
    expected: [
      '2026-10-25T00:00:00.000Z 2026-10-25T02:00:00+02:00 -',
      '2026-10-25T01:00:00.000Z 2026-10-25T02:00:00+01:00 -',
      '2026-10-25T02:00:00.000Z 2026-10-25T03:00:00+01:00 -',
    ],
  },
  {
    name: 'New York spring gap, 5 fields',
    cron: '30 2 * * *',
    timezone: 'America/New_York',
    after: '2026-03-07T00:00:00Z',
    expected: [
      '2026-03-07T07:30:00.000Z 2026-03-07T02:30:00-05:00 -',
      '2026-03-08T07:30:00.000Z 2026-03-08T03:30:00-04:00 gap',
      '2026-03-09T06:30:00.000Z 2026-03-09T02:30:00-04:00 -',
    ],
  },
  {
    name: 'New York spring gap, 6 fields',
    cron: '30 45 2 * * *',
    timezone: 'America/New_York',
    after: '2026-03-07T00:00:00Z',
    expected: [
      '2026-03-07T07:45:30.000Z 2026-03-07T02:45:30-05:00 -',
      '2026-03-08T07:45:30.000Z 2026-03-08T03:45:30-04:00 gap',
      '2026-03-09T06:45:30.000Z 2026-03-09T02:45:30-04:00 -',
    ],
  },
  {
    name: 'New York fall repeat, 5 fields',
    cron: '30 1 * * *',
    timezone: 'America/New_York',
    after: '2026-10-31T00:00:00Z',
    expected: [
      '2026-10-31T05:30:00.000Z 2026-10-31T01:30:00-04:00 -',
      '2026-11-01T05:30:00.000Z 2026-11-01T01:30:00-04:00 repeat',
      '2026-11-02T06:30:00.000Z 2026-11-02T01:30:00-05:00 -',
    ],
  },
  {
    name: 'New York fall repeat, 6 fields',
    cron: '0 0 1 * * *',
    timezone: 'America/New_York',
    after: '2026-10-31T00:00:00Z',
    expected: [
      '2026-10-31T05:00:00.000Z 2026-10-31T01:00:00-04:00 -',
      '2026-11-01T05:00:00.000Z 2026-11-01T01:00:00-04:00 repeat',
      '2026-11-02T06:00:00.000Z 2026-11-02T01:00:00-05:00 -',
    ],
  },
  {
    name: 'New York, a time outside the moved hours is never marked',
    cron: '0 12 * * *',
    timezone: 'America/New_York',
    after: '2026-10-31T00:00:00Z',
    expected: ['2026-10-31T16:00:00.000Z 2026-10-31T12:00:00-04:00 -', '2026-11-01T17:00:00.000Z 2026-11-01T12:00:00-05:00 -'],
  },
];

describe('previewSchedule', () => {
  it.each(NIGHTS)('$name: $cron in $timezone', ({ cron, timezone, after, expected }) => {
    expect(lines(previewSchedule({ cron, timezone }, new Date(after), expected.length))).toEqual(expected);
  });

  it('starts strictly after `after`, as the scheduler does', () => {
    const [first] = previewSchedule({ cron: '*/5 * * * *', timezone: 'UTC' }, new Date('2026-01-01T00:05:00Z'), 1);
    expect(first).toEqual({ at: '2026-01-01T00:10:00.000Z', local: '2026-01-01T00:10:00+00:00', dst: null });
  });

  it('shows half-hour offsets', () => {
    expect(previewSchedule({ cron: '0 9 * * *', timezone: 'Asia/Kolkata' }, new Date('2026-03-10T00:00:00Z'), 1)).toEqual([
      { at: '2026-03-10T03:30:00.000Z', local: '2026-03-10T09:00:00+05:30', dst: null },
    ]);
  });

  it('throws InvalidScheduleError naming the field', () => {
    expect(() => previewSchedule({ cron: '@daily', timezone: 'UTC' }, new Date(), 5)).toThrow(InvalidScheduleError);
    expect(() => previewSchedule({ cron: '0 0 * * *', timezone: 'Mars/Olympus' }, new Date(), 5)).toThrowError(
      expect.objectContaining({ field: 'timezone' }),
    );
  });

  describe('equals the runs the scheduler makes', () => {
    const schedules: (CronSchedule & { after: string })[] = NIGHTS.map(({ cron, timezone, after }) => ({ cron, timezone, after }));
    schedules.push(
      { cron: '*/15 * * * *', timezone: 'Europe/Berlin', after: '2026-03-28T22:00:00Z' },
      { cron: '*/15 * * * *', timezone: 'Europe/Berlin', after: '2026-10-24T22:00:00Z' },
      { cron: '*/7 1-3 * * *', timezone: 'America/New_York', after: '2026-03-07T22:00:00Z' },
      { cron: '*/7 1-3 * * *', timezone: 'America/New_York', after: '2026-10-31T22:00:00Z' },
      { cron: '0 30 */2 * * *', timezone: 'America/New_York', after: '2026-10-31T22:00:00Z' },
    );
    const COUNT = 60;

    it.each(schedules)('$cron in $timezone after $after: nextOccurrence fed back in', ({ cron, timezone, after }) => {
      const schedule = { cron, timezone };
      const expected: string[] = [];
      for (let at = new Date(after); expected.length < COUNT;) {
        at = nextOccurrence(schedule, at);
        expected.push(at.toISOString());
      }
      expect(previewSchedule(schedule, new Date(after), COUNT).map((occurrence) => occurrence.at)).toEqual(expected);
    });

    it.each(schedules)('$cron in $timezone after $after: runs recorded one after another', ({ cron, timezone, after }) => {
      const schedule = { cron, timezone };
      const first = occurrencesAfter(schedule, new Date(after)).next().value.at;
      const runs = [first.toISOString()];
      let scheduledFor = first;
      while (runs.length < COUNT) {
        // Each run succeeds one second after it was due, as a worker records it.
        const now = new Date(scheduledFor.getTime() + 1_000);
        const finished: FinishedAttempt = {
          outcome: 'succeeded',
          attemptsMade: 1,
          maxRetries: 0,
          backoff: { type: 'fixed', delayMs: 1_000, maxDelayMs: 1_000, jitter: false },
          retryAfterMs: null,
          now,
          schedule,
          scheduledFor,
        };
        const next = nextStateAfterAttempt(finished);
        scheduledFor = next.nextRunAt!;
        runs.push(scheduledFor.toISOString());
      }
      expect(previewSchedule(schedule, new Date(after), COUNT).map((occurrence) => occurrence.at)).toEqual(runs);
    });
  });
});

describe('localIso', () => {
  it.each([
    ['2026-03-29T01:30:00Z', 7_200_000, '2026-03-29T03:30:00+02:00'],
    ['2026-11-01T06:30:00Z', -18_000_000, '2026-11-01T01:30:00-05:00'],
    ['2026-01-01T00:00:00Z', 0, '2026-01-01T00:00:00+00:00'],
    ['2026-01-01T00:00:00Z', 20_700_000, '2026-01-01T05:45:00+05:45'],
    ['2026-01-01T00:00:00Z', -34_200_000, '2025-12-31T14:30:00-09:30'],
    // Berlin's local mean time, +00:53:28, is cut to +00:53 so the text is still the same instant
    ['1890-01-01T00:00:00Z', 3_208_000, '1890-01-01T00:53:00+00:53'],
  ])('%s at %i ms is %s', (at, offsetMs, local) => {
    expect(localIso(new Date(at), offsetMs)).toBe(local);
    expect(new Date(local).getTime()).toBe(new Date(at).getTime());
  });
});

describe('previewTaskSchedule', () => {
  const schedule = { cron: '*/10 * * * *', timezone: 'UTC' };
  const on = (time: string) => new Date(`2026-06-01T${time}Z`);
  const times = (occurrences: PreviewedOccurrence[]) => occurrences.map(({ at }) => at.slice(11, 19));

  it.each<[string, MisfirePolicy, { nextRunAt: string | null; inRun?: boolean; now: string }, string[]]>([
    ['waiting', 'once', { nextRunAt: '10:10:00', now: '10:05:00' }, ['10:10:00', '10:20:00', '10:30:00']],
    ['waiting', 'skip', { nextRunAt: '10:10:00', now: '10:05:00' }, ['10:10:00', '10:20:00', '10:30:00']],
    ['waiting', 'all', { nextRunAt: '10:10:00', now: '10:05:00' }, ['10:10:00', '10:20:00', '10:30:00']],
    // Workers down since 10:05, seen at 10:42: the 10:10 job is late.
    ['missed', 'once', { nextRunAt: '10:10:00', now: '10:42:00' }, ['10:10:00', '10:50:00', '11:00:00']],
    ['missed', 'skip', { nextRunAt: '10:10:00', now: '10:42:00' }, ['10:50:00', '11:00:00', '11:10:00']],
    ['missed', 'all', { nextRunAt: '10:10:00', now: '10:42:00' }, ['10:10:00', '10:20:00', '10:30:00', '10:40:00', '10:50:00']],
    // 10:40 is 30 s late: within the grace, it runs as itself.
    ['within the grace', 'skip', { nextRunAt: '10:40:00', now: '10:40:30' }, ['10:40:00', '10:50:00']],
    // A manual run waiting at 10:07:13.5 is no occurrence: the schedule after it.
    ['manual run', 'skip', { nextRunAt: '10:07:13.500', now: '10:05:00' }, ['10:10:00', '10:20:00']],
    ['manual run', 'once', { nextRunAt: '10:07:13.500', now: '10:05:00' }, ['10:10:00', '10:20:00']],
    // The 10:00 run is still in progress at 10:25 (10:10 and 10:20 missed).
    ['long run', 'once', { nextRunAt: '10:00:00', inRun: true, now: '10:25:00' }, ['10:10:00', '10:30:00', '10:40:00']],
    ['long run', 'skip', { nextRunAt: '10:00:00', inRun: true, now: '10:25:00' }, ['10:30:00', '10:40:00', '10:50:00']],
    ['long run', 'all', { nextRunAt: '10:00:00', inRun: true, now: '10:25:00' }, ['10:10:00', '10:20:00', '10:30:00']],
    // Retrying, its next attempt at 10:03:17: the runs after that run.
    ['retrying', 'once', { nextRunAt: '10:03:17', inRun: true, now: '10:02:00' }, ['10:10:00', '10:20:00']],
    ['retrying', 'all', { nextRunAt: '10:03:17', inRun: true, now: '10:02:00' }, ['10:10:00', '10:20:00']],
    ['no next run', 'once', { nextRunAt: null, now: '10:02:00' }, ['10:10:00', '10:20:00']],
  ])('%s, %s: %j', (_case, misfire, task, expected) => {
    const preview = previewTaskSchedule(
      {
        schedule,
        misfire,
        graceMs: 60_000,
        nextRunAt: task.nextRunAt === null ? null : on(task.nextRunAt),
        inRun: task.inRun ?? false,
        now: on(task.now),
      },
      expected.length,
    );
    expect(times(preview)).toEqual(expected);
  });

  it('marks DST moves as the schedule preview does', () => {
    const berlin = { cron: '30 2 * * *', timezone: 'Europe/Berlin' };
    const preview = previewTaskSchedule(
      {
        schedule: berlin,
        misfire: 'once',
        graceMs: 60_000,
        nextRunAt: new Date('2026-03-29T01:30:00Z'),
        inRun: false,
        now: new Date('2026-03-28T12:00:00Z'),
      },
      2,
    );
    expect(lines(preview)).toEqual([
      '2026-03-29T01:30:00.000Z 2026-03-29T03:30:00+02:00 gap',
      '2026-03-30T00:30:00.000Z 2026-03-30T02:30:00+02:00 -',
    ]);
  });
});
