import { CronExpressionParser, type CronExpression } from 'cron-parser';

/** A recurring schedule: a cron expression read as wall-clock time in an IANA time zone. */
export interface CronSchedule {
  cron: string;
  timezone: string;
}

/** A schedule the rules reject. `message` completes a sentence that starts with the field: "cron must have …". */
export class InvalidScheduleError extends Error {
  constructor(
    readonly field: 'cron' | 'timezone',
    message: string,
  ) {
    super(message);
    this.name = 'InvalidScheduleError';
  }
}

const MAX_CRON_LENGTH = 200;
const DAY_MS = 86_400_000;
const PROBE_STEP_MS = 7 * DAY_MS;
/** Any fixed instant: a cron expression that has no occurrence after it has none at all. */
const PROBE_FROM = new Date(Date.UTC(2000, 0, 1));

interface FieldRule {
  name: string;
  min: number;
  max: number;
  // A larger step leaves a single value (`*/60` in minutes means `0`): rejected as a likely mistake.
  maxStep: number;
  /** Three-letter names for the values from `min` on. */
  names?: readonly string[];
}

const SECOND: FieldRule = { name: 'second', min: 0, max: 59, maxStep: 59 };
const MINUTE: FieldRule = { name: 'minute', min: 0, max: 59, maxStep: 59 };
const HOUR: FieldRule = { name: 'hour', min: 0, max: 23, maxStep: 23 };
const DAY_OF_MONTH: FieldRule = { name: 'day of month', min: 1, max: 31, maxStep: 30 };
const MONTH: FieldRule = {
  name: 'month',
  min: 1,
  max: 12,
  maxStep: 11,
  names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
};
// 0 and 7 are both Sunday.
const DAY_OF_WEEK: FieldRule = {
  name: 'day of week',
  min: 0,
  max: 7,
  maxStep: 6,
  names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
};

const FIVE_FIELDS = [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK];
const SIX_FIELDS = [SECOND, ...FIVE_FIELDS];

/** `*`, `a`, `a-b`; a step only after `*` or a range (cron-parser reads `MON/2` as Sun, Mon, Wed, Fri). */
const ITEM = /^(?:(\*)|([0-9a-z]+)(?:-([0-9a-z]+))?)(?:\/([0-9]+))?$/i;
/** Day of week only: the last such weekday of the month (`5L`) or the n-th (`1#2`). */
const WEEKDAY_OF_MONTH = /^([0-9A-Za-z]+?)(?:L|#([0-9]+))$/;

/**
 * Throws InvalidScheduleError naming the field when `schedule` is not one Punctual runs.
 *
 * cron: 5 fields (minute hour day-of-month month day-of-week) or 6 with leading seconds, at most 200 characters.
 * Each field is a comma list of `*`, `n` or `a-b`; `*` and ranges may take a step (`/s`). Months and weekdays may be
 * names (`JAN`, `mon-fri`); day of month may be `L` (last day), day of week `nL` (last such weekday of the month) or
 * `n#k` (its k-th, k ≤ 5).
 * Rejected: macros (`@daily`), `?`, `H` (hashed values), `W`, a value or range outside the field, a step after a single
 * value, a step too wide to repeat, and an expression that never fires (`0 0 30 2 *`). When both day of month and
 * day of week are restricted, a day matching either fires (as in POSIX cron).
 *
 * timezone: any name `Intl.DateTimeFormat` accepts (IANA names, `UTC`, `Etc/GMT+1`, links such as `US/Eastern`,
 * in any letter case).
 */
export function checkCronSchedule(schedule: CronSchedule): void {
  const { expression } = parseSchedule(schedule);
  expression.reset(PROBE_FROM);
  nextWallClock(expression);
}

/**
 * Throws InvalidScheduleError on `cron` when two consecutive occurrences of `schedule` can be less than `minSeconds`
 * apart (every second is 1 s, every five minutes 300 s). Exact on the wall clock, from the fields: within a minute, across a
 * minute, an hour and a day boundary; the schedule must already be valid (`checkCronSchedule`). Daylight-saving
 * shifts are not counted: they move single occurrences, not the schedule's rate.
 */
export function checkCronInterval(schedule: CronSchedule, minSeconds: number): void {
  if (minSeconds <= 1) return;
  const shortest = shortestGapSeconds(schedule, minSeconds);
  if (shortest < minSeconds) {
    throw new InvalidScheduleError(
      'cron',
      `fires ${shortest} s after a previous run at its closest; the shortest interval allowed is ${minSeconds} s (MIN_CRON_INTERVAL_SECONDS)`,
    );
  }
}

/** The shortest gap between consecutive occurrences in seconds, or `Infinity` when it is at least `enough`. */
function shortestGapSeconds(schedule: CronSchedule, enough: number): number {
  const { expression } = parseSchedule(schedule);
  const seconds = numbers(expression.fields.second.values);
  const minutes = numbers(expression.fields.minute.values);
  const hours = numbers(expression.fields.hour.values);
  const span = (list: number[]) => list[list.length - 1]! - list[0]!;
  // Seconds from the first to the last occurrence within a minute, an hour and a day.
  const minuteSpan = span(seconds);
  const hourSpan = span(minutes) * 60 + minuteSpan;
  const daySpan = span(hours) * 3600 + hourSpan;
  const gaps = [
    smallestStep(seconds),
    smallestStep(minutes) * 60 - minuteSpan,
    smallestStep(hours) * 3600 - hourSpan,
    // From the last run of a day to the first of the next day, when two matching days can follow each other.
    DAY_MS / 1000 - daySpan < enough && hasConsecutiveDays(schedule.cron) ? DAY_MS / 1000 - daySpan : Infinity,
  ];
  return Math.min(...gaps);
}

function numbers(values: readonly (number | string)[]): number[] {
  return values.filter((value): value is number => typeof value === 'number').sort((a, b) => a - b);
}

/** The smallest difference between neighbours of a sorted list; `Infinity` for fewer than two values. */
function smallestStep(sorted: number[]): number {
  let smallest = Infinity;
  for (let i = 1; i < sorted.length; i++) smallest = Math.min(smallest, sorted[i]! - sorted[i - 1]!);
  return smallest;
}

/** How many matching days are looked at for two in a row: years of a monthly pattern, enough for any cron's days. */
const DAY_PROBES = 400;

/** Whether the day fields (day of month, month, day of week) of `cron` match two calendar days in a row. */
function hasConsecutiveDays(cron: string): boolean {
  const days = cron.trim().split(/\s+/).slice(-3).join(' ');
  const expression = CronExpressionParser.parse(`0 0 0 ${days}`, { tz: 'UTC', currentDate: PROBE_FROM });
  let previous = expression.next().getTime();
  for (let i = 1; i < DAY_PROBES; i++) {
    const next = expression.next().getTime();
    if (next - previous === DAY_MS) return true;
    previous = next;
  }
  return false;
}

/** How daylight saving shaped an occurrence (see `nextOccurrence`). */
export const DST_MARKS = ['gap', 'repeat'] as const;
/**
 * `gap`: its wall-clock time does not exist that night (spring forward), so it was moved forward by the gap.
 * `repeat`: its wall-clock time exists twice that night (fall back) and it fires in the first only.
 */
export type DstMark = (typeof DST_MARKS)[number];

/** One occurrence of a schedule, as the scheduler runs it. */
export interface Occurrence {
  at: Date;
  /** The zone's wall-clock time minus UTC at `at`, in ms (+7 200 000 for Berlin in summer). */
  offsetMs: number;
  /** How daylight saving moved it, or null when it fires at its own wall-clock time, like any other day. */
  dst: DstMark | null;
}

/**
 * The occurrences of `schedule` strictly after `after`, in order and without end: the one sequence the scheduler
 * runs (`nextOccurrence` is its first element) and the schedule preview shows, each with its DST mark. Throws
 * InvalidScheduleError (on the call, not on the first `next()`) as `checkCronSchedule` does.
 */
export function occurrencesAfter(schedule: CronSchedule, after: Date): Generator<Occurrence, never, undefined> {
  const parsed = parseSchedule(schedule);
  function* walk(): Generator<Occurrence, never, undefined> {
    let from = after.getTime();
    for (;;) {
      const occurrence = occurrenceAfter(parsed, from);
      yield occurrence;
      from = occurrence.at.getTime();
    }
  }
  return walk();
}

/**
 * The first occurrence of `schedule` strictly after `after`, with the expression read as wall-clock time in the
 * schedule's zone: the first of `occurrencesAfter`. Throws InvalidScheduleError as `checkCronSchedule` does.
 *
 * Daylight saving:
 * - A wall-clock time the zone skips (02:30 on a spring-forward night in Berlin) fires at the instant the same
 *   wall-clock time would have if the clock had not moved: moved forward by the gap (03:30 summer time; marked `gap`).
 *   A daily job therefore runs once that day, and a job that already fires at the instant it moves to (every 15
 *   minutes, every hour) does not fire twice there (nor is that instant marked): `0 * * * *` fires 23 times that day.
 * - A wall-clock time the zone repeats (02:30 on a fall-back night in Berlin) fires in its first occurrence only
 *   (marked `repeat`), unless the hour field is every hour (`*`, `0-23`): such a job fires every elapsed hour, both
 *   copies included and unmarked (`0 * * * *` fires 25 times that day, every-15-minutes keeps its cadence).
 * The answer depends only on the schedule and `after`, so feeding each occurrence back in gives the sequence above.
 */
export function nextOccurrence(schedule: CronSchedule, after: Date): Date {
  return occurrencesAfter(schedule, after).next().value.at;
}

/** The first occurrence strictly after the instant `after` (ms), with its offset and DST mark. */
function occurrenceAfter({ expression, everyHour, zone }: ParsedSchedule, after: number): Occurrence {
  const offsetAt = (instant: number): number => zoneOffsetMs(zone, instant);
  const nextWall = (wall: number): number => {
    expression.reset(new Date(wall));
    return nextWallClock(expression);
  };
  // An instant moved forward by a spring-forward gap lies after the change: its offset is the new one.
  const moved = (instant: number): Occurrence => ({ at: new Date(instant), offsetMs: offsetAt(instant), dst: 'gap' });
  const regular = (instant: number, offsetMs: number): Occurrence => ({
    at: new Date(instant),
    offsetMs,
    dst: !everyHour && inFirstOfRepeatedHour(zone, instant, offsetMs) ? 'repeat' : null,
  });

  let from = after;
  let offset = offsetAt(from);
  let best = Number.POSITIVE_INFINITY;

  // `after` may sit just past an offset change whose effect reaches beyond it.
  const offsetDayBefore = offsetAt(from - DAY_MS);
  if (offsetDayBefore !== offset) {
    const change = firstOffsetChange(zone, from - DAY_MS, from, offsetDayBefore)!;
    const shift = offset - offsetDayBefore;
    if (shift > 0 && from < change + shift) {
      // Skipped wall-clock times still to fire, moved forward by the gap.
      const skipped = nextWall(from + offsetDayBefore);
      if (skipped < change + offset) best = skipped - offsetDayBefore;
    } else if (shift < 0 && !everyHour && from < change - shift) {
      // Inside the repeated hour: its wall-clock times fired in their first occurrence.
      from = change - shift - 1;
    }
  }

  // `wall` is the first matching wall-clock time after `from` read at `offset`; kept while that start only moves forward
  // and stays before it (cron-parser is slow to search far ahead, e.g. for 29 February).
  let start = from + offset;
  let wall = nextWall(start);
  const moveTo = (instant: number, nextOffset: number) => {
    from = instant;
    offset = nextOffset;
    if (from + offset < start || wall <= from + offset) wall = nextWall(from + offset);
    start = from + offset;
  };

  // Each turn either finds the answer or crosses one offset change between `from` and the candidate.
  for (;;) {
    const candidate = wall - offset;
    // A skipped time moved onto an instant that fires anyway is that instant's own occurrence.
    if (candidate === best) return regular(candidate, offset);
    if (candidate > best) return moved(best);
    const change = firstOffsetChange(zone, from, candidate, offset);
    if (change === undefined) return regular(candidate, offset);
    const next = offsetAt(change);
    if (next > offset) {
      // Clocks jump forward: `wall` is the first match from the skipped times on; if skipped, it moves by the gap.
      if (wall < change + next) best = Math.min(best, wall - offset);
      moveTo(change - 1, next);
    } else {
      // Clocks go back: the repeated times fire again only for an every-hour job.
      moveTo(everyHour ? change - 1 : change + (offset - next) - 1, next);
    }
  }
}

/** Longer than any fall-back shift (Antarctica/Troll's is 2 h). */
const REPEAT_PROBE_MS = 3 * 3_600_000;

/** Whether `instant`, at `offset`, lies in the first copy of a wall-clock hour that the zone repeats (fall back). */
function inFirstOfRepeatedHour(zone: Intl.DateTimeFormat, instant: number, offset: number): boolean {
  const later = zoneOffsetMs(zone, instant + REPEAT_PROBE_MS);
  if (later >= offset) return false;
  const change = firstOffsetChange(zone, instant, instant + REPEAT_PROBE_MS, offset)!;
  // The wall-clock times from `change + later` to `change + offset` come again after the change.
  return instant + offset >= change + later;
}

interface ParsedSchedule {
  /** Iterates the expression in UTC, i.e. over wall-clock times with no daylight saving; we map them to instants. */
  expression: CronExpression;
  everyHour: boolean;
  zone: Intl.DateTimeFormat;
}

function parseSchedule({ cron, timezone }: CronSchedule): ParsedSchedule {
  if (typeof cron !== 'string') throw new InvalidScheduleError('cron', 'must be a string');
  if (cron.length > MAX_CRON_LENGTH) throw new InvalidScheduleError('cron', `must be at most ${MAX_CRON_LENGTH} characters`);
  const fields = cron
    .trim()
    .split(/\s+/)
    .filter((field) => field !== '');
  const invalid = (reason: string) => new InvalidScheduleError('cron', `is not a valid cron expression: ${reason}`);
  if (fields[0]?.startsWith('@')) throw invalid('macros such as @daily are not supported, write the fields');
  if (fields.length !== 5 && fields.length !== 6) {
    throw new InvalidScheduleError('cron', 'must have 5 fields, or 6 with leading seconds');
  }
  const rules = fields.length === 6 ? SIX_FIELDS : FIVE_FIELDS;
  fields.forEach((field, i) => {
    const problem = fieldProblem(field, rules[i]!);
    if (problem) throw invalid(problem);
  });
  const zone = typeof timezone === 'string' && timezone !== '' ? zoneFormat(timezone) : undefined;
  if (!zone) throw new InvalidScheduleError('timezone', 'is not a known IANA time zone');
  let expression: CronExpression;
  try {
    expression = CronExpressionParser.parse(fields.join(' '), { tz: 'UTC', currentDate: PROBE_FROM });
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : String(error));
  }
  return { expression, everyHour: expression.fields.hour.values.length === 24, zone };
}

function nextWallClock(expression: CronExpression): number {
  try {
    return expression.next().getTime();
  } catch {
    throw new InvalidScheduleError('cron', 'never fires: no date matches it');
  }
}

function fieldProblem(field: string, rule: FieldRule): string | undefined {
  for (const item of field.split(',')) {
    const problem = itemProblem(item, rule);
    if (problem) return problem;
  }
  return undefined;
}

function itemProblem(item: string, rule: FieldRule): string | undefined {
  if (rule === DAY_OF_MONTH && item === 'L') return undefined;
  if (rule === DAY_OF_WEEK) {
    const weekday = WEEKDAY_OF_MONTH.exec(item);
    if (weekday) {
      const value = readValue(weekday[1]!, rule);
      if (typeof value === 'string') return value;
      const week = weekday[2];
      if (week !== undefined && !(Number(week) >= 1 && Number(week) <= 5)) {
        return `${rule.name} "${item}": the week number after # must be 1 to 5`;
      }
      return undefined;
    }
  }
  const match = ITEM.exec(item);
  if (!match) return `${rule.name} "${item}" is not a value, range or step`;
  const [, star, start, end, step] = match;
  if (step !== undefined) {
    if (!star && end === undefined) return `${rule.name} "${item}": a step must follow * or a range`;
    if (!(Number(step) >= 1 && Number(step) <= rule.maxStep)) {
      return `${rule.name} "${item}": the step must be 1 to ${rule.maxStep}`;
    }
  }
  if (star) return undefined;
  const low = readValue(start!, rule);
  if (typeof low === 'string') return low;
  if (end === undefined) return undefined;
  const high = readValue(end, rule);
  if (typeof high === 'string') return high;
  return low <= high ? undefined : `${rule.name} "${item}": a range must go from low to high`;
}

/** The number a value (digits or a name) stands for, or a string saying what is wrong with it. */
function readValue(text: string, rule: FieldRule): number | string {
  if (/^[0-9]+$/.test(text)) {
    const value = Number(text);
    return value >= rule.min && value <= rule.max ? value : `${rule.name} ${text} is outside ${rule.min}-${rule.max}`;
  }
  const index = rule.names?.indexOf(text.toLowerCase()) ?? -1;
  if (index >= 0) return rule.min + index;
  return `${rule.name} "${text}" is not a ${rule.names ? 'number or name' : 'number'}`;
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();
/** Enough for every zone in its usual spellings; a flood of case variants only empties the cache. */
const MAX_CACHED_ZONES = 1000;

/** A formatter for wall-clock fields in `timezone`, or undefined when Intl does not know the zone. */
function zoneFormat(timezone: string): Intl.DateTimeFormat | undefined {
  let format = zoneFormats.get(timezone);
  if (format) return format;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return undefined;
  }
  if (zoneFormats.size >= MAX_CACHED_ZONES) zoneFormats.clear();
  zoneFormats.set(timezone, format);
  return format;
}

/** Wall-clock time minus UTC at `instant`, in ms (+3 600 000 for Berlin in winter). */
function zoneOffsetMs(zone: Intl.DateTimeFormat, instant: number): number {
  const field: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const part of zone.formatToParts(instant)) field[part.type] = Number(part.value);
  const wall = Date.UTC(field.year!, field.month! - 1, field.day, field.hour, field.minute, field.second);
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * The first instant in (from, to] whose offset is not `offset`, or undefined if there is none.
 * Probes a week apart, then bisects: no zone has changed its offset twice within a week since 2000 (tzdata 1970-2037).
 */
function firstOffsetChange(zone: Intl.DateTimeFormat, from: number, to: number, offset: number): number | undefined {
  let same = from;
  let changed = Math.min(from + PROBE_STEP_MS, to);
  while (zoneOffsetMs(zone, changed) === offset) {
    if (changed === to) return undefined;
    same = changed;
    changed = Math.min(changed + PROBE_STEP_MS, to);
  }
  while (changed - same > 1) {
    const middle = Math.floor((same + changed) / 2);
    if (zoneOffsetMs(zone, middle) === offset) same = middle;
    else changed = middle;
  }
  return changed;
}
