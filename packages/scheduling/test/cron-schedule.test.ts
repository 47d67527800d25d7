import { describe, expect, it } from 'vitest';
import { InvalidScheduleError, checkCronInterval, checkCronSchedule, nextOccurrence, type CronSchedule } from '../src/index.js';

const HOUR_MS = 3_600_000;

function rejection(schedule: CronSchedule): InvalidScheduleError {
  try {
    checkCronSchedule(schedule);
  } catch (error) {
    if (error instanceof InvalidScheduleError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(schedule)}`);
}

/** Every occurrence in [from, to), found by feeding each one back into nextOccurrence. */
function occurrences(schedule: CronSchedule, from: string, to: string): string[] {
  const end = new Date(to);
  const found: string[] = [];
  for (let at = nextOccurrence(schedule, new Date(Date.parse(from) - 1)); at < end; at = nextOccurrence(schedule, at)) {
    found.push(at.toISOString());
  }
  return found;
}

function iso(instant: string): string {
  return new Date(instant).toISOString();
}

/** `count` instants an hour apart from `first`, as ISO strings. */
function hourly(first: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => new Date(Date.parse(first) + i * HOUR_MS).toISOString());
}

/** The local hour of each instant, e.g. `00 01 03` on a spring-forward night. */
function localHours(instants: string[], timezone: string): string {
  const format = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', hourCycle: 'h23' });
  return instants.map((instant) => format.format(new Date(instant))).join(' ');
}

describe('checkCronSchedule', () => {
  it.each([
    '*/5 * * * *',
    '0 9 * * 1-5',
    '0 9 * * MON-FRI',
    '0 0 1 jan *',
    '30 */2 * * *',
    '0-59/15 * * * *',
    '0 0 13 * 5',
    '0 0 L * *',
    '0 18 * * 5L',
    '0 9 * * 1#1',
    '0 0 29 2 *',
    '0 0 * * 7',
    '*/10 * * * * *',
    '30 0 12 * * *',
    '  0  12 *\t* *  ',
    `${Array.from({ length: 60 }, (_, i) => i).join(',')} * * * *`,
  ])('accepts %j', (cron) => {
    expect(() => checkCronSchedule({ cron, timezone: 'UTC' })).not.toThrow();
  });

  it.each([
    { cron: '* * *', message: 'must have 5 fields, or 6 with leading seconds' },
    { cron: '* * * * * * *', message: 'must have 5 fields, or 6 with leading seconds' },
    { cron: '0 0 1 1 * 2026 *', message: 'must have 5 fields, or 6 with leading seconds' },
    { cron: '', message: 'must have 5 fields, or 6 with leading seconds' },
    { cron: '   ', message: 'must have 5 fields, or 6 with leading seconds' },
    { cron: 'every day at noon', message: 'must have 5 fields, or 6 with leading seconds' },
    { cron: 'a b c d e', message: 'is not a valid cron expression: minute "a" is not a number' },
    { cron: '@daily', message: 'is not a valid cron expression: macros such as @daily are not supported, write the fields' },
    { cron: '60 * * * *', message: 'is not a valid cron expression: minute 60 is outside 0-59' },
    { cron: '0 24 * * *', message: 'is not a valid cron expression: hour 24 is outside 0-23' },
    { cron: '0 0 0 * *', message: 'is not a valid cron expression: day of month 0 is outside 1-31' },
    { cron: '0 0 * 13 *', message: 'is not a valid cron expression: month 13 is outside 1-12' },
    { cron: '0 0 * * 8', message: 'is not a valid cron expression: day of week 8 is outside 0-7' },
    { cron: '60 0 * * * *', message: 'is not a valid cron expression: second 60 is outside 0-59' },
    { cron: '5-1 * * * *', message: 'is not a valid cron expression: minute "5-1": a range must go from low to high' },
    { cron: '*/60 * * * *', message: 'is not a valid cron expression: minute "*/60": the step must be 1 to 59' },
    { cron: '*/0 * * * *', message: 'is not a valid cron expression: minute "*/0": the step must be 1 to 59' },
    { cron: '5/15 * * * *', message: 'is not a valid cron expression: minute "5/15": a step must follow * or a range' },
    { cron: '0 0 * * MON/2', message: 'is not a valid cron expression: day of week "MON/2": a step must follow * or a range' },
    { cron: '1,,2 * * * *', message: 'is not a valid cron expression: minute "" is not a value, range or step' },
    { cron: '? * * * *', message: 'is not a valid cron expression: minute "?" is not a value, range or step' },
    { cron: '0 0 ? * MON', message: 'is not a valid cron expression: day of month "?" is not a value, range or step' },
    { cron: 'H * * * *', message: 'is not a valid cron expression: minute "H" is not a number' },
    { cron: '0 0 * * SUNDAY', message: 'is not a valid cron expression: day of week "SUNDAY" is not a number or name' },
    { cron: '0 0 LW * *', message: 'is not a valid cron expression: day of month "LW" is not a number' },
    { cron: '0 0 * * L', message: 'is not a valid cron expression: day of week "L" is not a number or name' },
    { cron: '0 0 * * 1#6', message: 'is not a valid cron expression: day of week "1#6": the week number after # must be 1 to 5' },
    { cron: `${'0'.repeat(200)} * * * *`, message: 'must be at most 200 characters' },
  ])('rejects $cron: cron $message', ({ cron, message }) => {
    const error = rejection({ cron, timezone: 'UTC' });
    expect(error.field).toBe('cron');
    expect(error.message).toBe(message);
  });

  it.each(['0 0 30 2 *', '0 0 31 4,6,9,11 *', '0 0 * * 1#1,3'])('rejects %j, which cron-parser refuses', (cron) => {
    const error = rejection({ cron, timezone: 'UTC' });
    expect(error.field).toBe('cron');
    expect(error.message).toMatch(/^is not a valid cron expression: /);
  });

  it.each(['UTC', 'utc', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Etc/GMT+1', 'US/Eastern'])(
    'accepts time zone %j',
    (timezone) => {
      expect(() => checkCronSchedule({ cron: '0 0 * * *', timezone })).not.toThrow();
    },
  );

  it.each(['Mars/Olympus', '', 'Europe/Berlinn', 'local'])('rejects time zone %j', (timezone) => {
    const error = rejection({ cron: '0 0 * * *', timezone });
    expect(error.field).toBe('timezone');
    expect(error.message).toBe('is not a known IANA time zone');
  });

  it('names the cron field first when both are invalid', () => {
    expect(rejection({ cron: '@daily', timezone: 'Mars/Olympus' }).field).toBe('cron');
  });
});

describe('checkCronInterval', () => {
  // The shortest gap between two runs, in seconds, on the wall clock.
  it.each([
    ['* * * * * *', 1],
    ['*/5 * * * *', 300],
    ['0,30 * * * * *', 30],
    ['10,50 * * * * *', 20],
    ['0 0,12 * * *', 43_200],
    ['0 0,23 * * *', 3_600],
    ['0,59 0,23 * * *', 60],
    ['0 12 * * *', 86_400],
    ['0 9 * * 1-5', 86_400],
    ['0 0 1,L * *', 86_400],
    ['0 0 1 * 1', 86_400],
    ['0 0 * * 1', 604_800],
  ])('measures %s as at least %i s apart, and no more', (cron, gap) => {
    const schedule = { cron, timezone: 'UTC' };
    expect(() => checkCronInterval(schedule, gap)).not.toThrow();
    if (gap < 86_400) {
      expect(() => checkCronInterval(schedule, gap + 1)).toThrow(
        new InvalidScheduleError(
          'cron',
          `fires ${gap} s after a previous run at its closest; the shortest interval allowed is ${gap + 1} s (MIN_CRON_INTERVAL_SECONDS)`,
        ),
      );
    }
    // The same answer as walking the occurrences one by one.
    let previous = nextOccurrence(schedule, new Date(Date.UTC(2027, 0, 1)));
    let shortest = Infinity;
    for (let i = 0; i < 400; i++) {
      const next = nextOccurrence(schedule, previous);
      shortest = Math.min(shortest, (next.getTime() - previous.getTime()) / 1000);
      previous = next;
    }
    expect(shortest).toBe(gap);
  });

  it('never refuses a schedule whose days never follow each other for a gap within a day', () => {
    expect(() => checkCronInterval({ cron: '0 0 29 2 *', timezone: 'UTC' }, 86_400)).not.toThrow();
    expect(() => checkCronInterval({ cron: '0 0 1,15 * *', timezone: 'UTC' }, 86_400)).not.toThrow();
  });

  it('allows every valid schedule at the default of 1 s', () => {
    expect(() => checkCronInterval({ cron: '* * * * * *', timezone: 'Europe/Berlin' }, 1)).not.toThrow();
  });
});

describe('nextOccurrence', () => {
  it.each([
    // strictly after, minutes and seconds
    ['*/5 * * * *', 'UTC', '2026-01-01T00:00Z', '2026-01-01T00:05Z'],
    ['*/5 * * * *', 'UTC', '2026-01-01T00:02:30.500Z', '2026-01-01T00:05Z'],
    ['*/10 * * * * *', 'UTC', '2026-01-01T00:00:05Z', '2026-01-01T00:00:10Z'],
    ['*/10 * * * * *', 'UTC', '2026-01-01T00:00:10Z', '2026-01-01T00:00:20Z'],
    ['30 0 12 * * *', 'UTC', '2026-01-01T12:00:30Z', '2026-01-02T12:00:30Z'],
    // weekdays at 9 in Berlin: CET is UTC+1, CEST UTC+2; 2026-01-09 and 2026-07-03 are Fridays
    ['0 9 * * 1-5', 'Europe/Berlin', '2026-01-08T08:00Z', '2026-01-09T08:00Z'],
    ['0 9 * * 1-5', 'Europe/Berlin', '2026-01-09T08:00Z', '2026-01-12T08:00Z'],
    ['0 9 * * 1-5', 'Europe/Berlin', '2026-01-10T12:00Z', '2026-01-12T08:00Z'],
    ['0 9 * * 1-5', 'Europe/Berlin', '2026-07-03T07:00Z', '2026-07-06T07:00Z'],
    ['0 9 * * *', 'Asia/Kolkata', '2026-03-10T00:00Z', '2026-03-10T03:30Z'],
    // month ends
    ['0 0 L * *', 'UTC', '2026-02-01T00:00Z', '2026-02-28T00:00Z'],
    ['0 0 L * *', 'UTC', '2028-02-01T00:00Z', '2028-02-29T00:00Z'],
    ['0 0 31 * *', 'UTC', '2026-04-01T00:00Z', '2026-05-31T00:00Z'],
    ['0 18 * * 5L', 'UTC', '2026-01-01T00:00Z', '2026-01-30T18:00Z'],
    ['0 9 * * 1#2', 'UTC', '2026-01-01T00:00Z', '2026-01-12T09:00Z'],
    // year rollover
    ['0 0 1 1 *', 'Europe/Berlin', '2026-06-01T00:00Z', '2026-12-31T23:00Z'],
    ['59 23 31 12 *', 'UTC', '2026-12-31T23:59Z', '2027-12-31T23:59Z'],
    ['*/15 * * * *', 'Asia/Kolkata', '2026-12-31T18:20Z', '2026-12-31T18:30Z'],
    // leap day
    ['0 0 29 2 *', 'UTC', '2026-01-01T00:00Z', '2028-02-29T00:00Z'],
    ['0 0 29 2 *', 'UTC', '2028-02-29T00:00Z', '2032-02-29T00:00Z'],
    ['0 0 29 2 *', 'Europe/Berlin', '2096-03-01T00:00Z', '2104-02-28T23:00Z'],
    // spring forward, Berlin 2026-03-29 at 01:00Z (02:00 CET -> 03:00 CEST): 02:30 becomes 03:30 CEST
    ['30 2 * * *', 'Europe/Berlin', '2026-03-28T01:30Z', '2026-03-29T01:30Z'],
    ['30 2 * * *', 'Europe/Berlin', '2026-03-29T01:10Z', '2026-03-29T01:30Z'],
    ['30 2 * * *', 'Europe/Berlin', '2026-03-29T01:30Z', '2026-03-30T00:30Z'],
    // spring forward, New York 2026-03-08 at 07:00Z (02:00 EST -> 03:00 EDT)
    ['30 2 * * *', 'America/New_York', '2026-03-07T07:30Z', '2026-03-08T07:30Z'],
    ['30 2 * * *', 'America/New_York', '2026-03-08T07:30Z', '2026-03-09T06:30Z'],
    // fall back, Berlin 2026-10-25 at 01:00Z (03:00 CEST -> 02:00 CET): 02:30 fires in its first occurrence only
    ['30 2 * * *', 'Europe/Berlin', '2026-10-24T00:30Z', '2026-10-25T00:30Z'],
    ['30 2 * * *', 'Europe/Berlin', '2026-10-25T00:30Z', '2026-10-26T01:30Z'],
    ['30 2 * * *', 'Europe/Berlin', '2026-10-25T01:10Z', '2026-10-26T01:30Z'],
    // fall back, New York 2026-11-01 at 06:00Z (02:00 EDT -> 01:00 EST)
    ['30 1 * * *', 'America/New_York', '2026-10-31T05:30Z', '2026-11-01T05:30Z'],
    ['30 1 * * *', 'America/New_York', '2026-11-01T05:30Z', '2026-11-02T06:30Z'],
    ['30 1 * * *', 'America/New_York', '2026-11-01T06:10Z', '2026-11-02T06:30Z'],
    ['0 * * * *', 'America/New_York', '2026-11-01T05:30Z', '2026-11-01T06:00Z'],
  ])('%s in %s after %s is %s', (cron, timezone, after, next) => {
    expect(nextOccurrence({ cron, timezone }, new Date(after)).toISOString()).toBe(iso(next));
  });

  it('throws InvalidScheduleError for an invalid schedule', () => {
    expect(() => nextOccurrence({ cron: '@daily', timezone: 'UTC' }, new Date())).toThrow(InvalidScheduleError);
    expect(() => nextOccurrence({ cron: '0 0 * * *', timezone: 'Mars/Olympus' }, new Date())).toThrow(InvalidScheduleError);
  });
});

describe('nextOccurrence across daylight-saving nights', () => {
  it.each([
    ['Berlin spring forward', '30 2 * * *', 'Europe/Berlin', ['2026-03-28T01:30Z', '2026-03-29T01:30Z', '2026-03-30T00:30Z']],
    ['New York spring forward', '30 2 * * *', 'America/New_York', ['2026-03-07T07:30Z', '2026-03-08T07:30Z', '2026-03-09T06:30Z']],
    ['Berlin fall back', '30 2 * * *', 'Europe/Berlin', ['2026-10-24T00:30Z', '2026-10-25T00:30Z', '2026-10-26T01:30Z']],
    ['New York fall back', '30 1 * * *', 'America/New_York', ['2026-10-31T05:30Z', '2026-11-01T05:30Z', '2026-11-02T06:30Z']],
  ])('runs a daily job once a day around the %s night (%s)', (_night, cron, timezone, expected) => {
    const end = new Date(Date.parse(expected[2]!) + 1).toISOString();
    expect(occurrences({ cron, timezone }, expected[0]!, end)).toEqual(expected.map(iso));
  });

  // Whole local days: Berlin 2026-03-29 (23 h) and 2026-10-25 (25 h), New York 2026-03-08 (23 h) and 2026-11-01 (25 h).
  const hours03To23 = Array.from({ length: 21 }, (_, i) => String(i + 3).padStart(2, '0')).join(' ');
  const days = [
    ['Europe/Berlin', '2026-03-28T23:00Z', '2026-03-29T22:00Z', 23, `00 01 ${hours03To23}`],
    ['Europe/Berlin', '2026-10-24T22:00Z', '2026-10-25T23:00Z', 25, `00 01 02 02 ${hours03To23}`],
    ['America/New_York', '2026-03-08T05:00Z', '2026-03-09T04:00Z', 23, `00 01 ${hours03To23}`],
    ['America/New_York', '2026-11-01T04:00Z', '2026-11-02T05:00Z', 25, `00 01 01 02 ${hours03To23}`],
  ] as const;

  it.each(days)('fires 0 * * * * every elapsed hour in %s from %s to %s: %i times', (timezone, from, to, hours, local) => {
    const found = occurrences({ cron: '0 * * * *', timezone }, from, to);
    expect(found).toEqual(hourly(from, hours));
    expect(localHours(found, timezone)).toBe(local);
  });

  it.each(days)('keeps */15 * * * * on a 15-minute cadence in %s from %s to %s', (timezone, from, to, hours) => {
    const found = occurrences({ cron: '*/15 * * * *', timezone }, from, to);
    expect(found).toHaveLength(hours * 4);
    expect(found[0]).toBe(iso(from));
    found.slice(1).forEach((at, i) => expect(Date.parse(at) - Date.parse(found[i]!)).toBe(15 * 60_000));
  });

  it.each([
    // spring forward: 02:00, 02:20, 02:40 CET do not exist and move to 03:00, 03:20, 03:40 CEST
    ['2026-03-29T00:00Z', ['2026-03-29T01:00Z', '2026-03-29T01:20Z', '2026-03-29T01:40Z']],
    // fall back: 02:00-02:40 CEST only, not again in CET
    ['2026-10-25T00:00Z', ['2026-10-25T00:00Z', '2026-10-25T00:20Z', '2026-10-25T00:40Z']],
  ])('runs */20 2 * * * in Berlin once per wall-clock time on the night from %s', (from, expected) => {
    const to = new Date(Date.parse(from) + 12 * HOUR_MS).toISOString();
    expect(occurrences({ cron: '*/20 2 * * *', timezone: 'Europe/Berlin' }, from, to)).toEqual(expected.map(iso));
  });
});
