import type { TaskRow } from '@punctual/db';
import {
  InvalidScheduleError,
  checkCronInterval,
  checkCronSchedule,
  nextOccurrence,
  previewSchedule,
  type CronSchedule,
  type PreviewedOccurrence,
} from '@punctual/scheduling';
import { InvalidInputError } from './errors.js';
import { parseScheduledAt } from './task-input.js';

/** The schedule fields a client sends: a one-off `scheduledAt`, or a recurring `cron` in `timezone`. */
export interface ScheduleInput {
  scheduledAt?: string;
  cron?: string | null;
  timezone?: string;
}

/** A task's schedule columns. */
export interface ScheduleColumns {
  scheduled_at: Date | null;
  cron: string | null;
  timezone: string;
  next_run_at: Date;
}

/** The zone a cron expression is read in when none is given. */
export const DEFAULT_TIMEZONE = 'UTC';

/** How many occurrences a preview lists unless asked. */
export const DEFAULT_PREVIEW_COUNT = 5;

// Time zone rules before 1970 are patchy (local mean time) and Dates end in the year 275760: a preview stays within.
const PREVIEW_FROM_MIN = new Date(Date.UTC(1970, 0, 1));
const PREVIEW_FROM_MAX = new Date(Date.UTC(3000, 0, 1));

/** `GET /schedules/next`'s query: a cron expression and zone as a task takes them, how many, from when. */
export interface SchedulePreviewRequest {
  cron: string;
  timezone?: string;
  count?: number;
  from?: string;
}

/** The schedule rules that depend on configuration. */
export interface ScheduleLimits {
  /** A cron whose runs can come closer than this is refused. */
  minCronIntervalSeconds: number;
}

/** The schedule of a new task: `cron` (next occurrence after now) or `scheduledAt` (default now), never both. */
export function scheduleOnCreate(input: ScheduleInput, now: Date, limits: ScheduleLimits): ScheduleColumns {
  const timezone = input.timezone ?? DEFAULT_TIMEZONE;
  if (input.cron !== undefined && input.cron !== null) {
    if (input.scheduledAt !== undefined) throw bothGiven();
    const schedule = checkedSchedule({ cron: input.cron.trim(), timezone }, limits);
    return { scheduled_at: null, ...schedule, next_run_at: nextOccurrence(schedule, now) };
  }
  if (input.timezone !== undefined) checkedSchedule({ cron: '0 0 * * *', timezone }, limits);
  const runAt = input.scheduledAt === undefined ? now : parseScheduledAt(input.scheduledAt);
  return { scheduled_at: runAt, cron: null, timezone, next_run_at: runAt };
}

/**
 * The schedule after an update, or null when the update leaves it alone. `cron` makes the task recurring (its next
 * occurrence after now), `cron: null` with a `scheduledAt` makes it one-off, a new `timezone` moves a cron schedule.
 * A recurring task cannot take a `scheduledAt` without dropping its `cron` in the same update.
 */
export function scheduleOnUpdate(
  task: Pick<TaskRow, 'cron' | 'timezone'>,
  input: ScheduleInput,
  now: Date,
  limits: ScheduleLimits,
): ScheduleColumns | null {
  if (input.scheduledAt === undefined && input.cron === undefined && input.timezone === undefined) return null;
  const timezone = input.timezone ?? task.timezone;
  const cron = input.cron === undefined ? task.cron : input.cron;
  if (cron !== null) {
    if (input.scheduledAt !== undefined) {
      throw input.cron === undefined
        ? new InvalidInputError('body/scheduledAt', 'cannot be set on a recurring task: send cron: null with it to make the task one-off')
        : bothGiven();
    }
    const schedule = checkedSchedule({ cron: cron.trim(), timezone }, limits);
    return { scheduled_at: null, ...schedule, next_run_at: nextOccurrence(schedule, now) };
  }
  if (input.timezone !== undefined) checkedSchedule({ cron: '0 0 * * *', timezone }, limits);
  if (input.scheduledAt === undefined) {
    if (task.cron !== null)
      throw new InvalidInputError('body/scheduledAt', 'is required when cron is removed (when should the one-off run happen?)');
    return null;
  }
  const runAt = parseScheduledAt(input.scheduledAt);
  return { scheduled_at: runAt, cron: null, timezone, next_run_at: runAt };
}

/**
 * The next occurrences of a cron expression as a task with it would run them (the same rules: 400 naming
 * `querystring/cron` or `querystring/timezone` where a task's create would name `body/…`), strictly after `from`
 * (default now).
 */
export function previewCron(request: SchedulePreviewRequest, now: Date, limits: ScheduleLimits): { occurrences: PreviewedOccurrence[] } {
  const schedule = checkedSchedule({ cron: request.cron.trim(), timezone: request.timezone ?? DEFAULT_TIMEZONE }, limits, 'querystring');
  const from = request.from === undefined ? now : parseScheduledAt(request.from, 'querystring/from');
  if (!(from >= PREVIEW_FROM_MIN && from < PREVIEW_FROM_MAX)) {
    throw new InvalidInputError('querystring/from', 'must be in the years 1970 to 2999');
  }
  return { occurrences: previewSchedule(schedule, from, request.count ?? DEFAULT_PREVIEW_COUNT) };
}

function checkedSchedule(schedule: CronSchedule, limits: ScheduleLimits, part: 'body' | 'querystring' = 'body'): CronSchedule {
  try {
    checkCronSchedule(schedule);
    checkCronInterval(schedule, limits.minCronIntervalSeconds);
  } catch (error) {
    if (error instanceof InvalidScheduleError) throw new InvalidInputError(`${part}/${error.field}`, error.message);
    throw error;
  }
  return schedule;
}

function bothGiven(): InvalidInputError {
  return new InvalidInputError(
    'body/cron',
    'cannot be combined with scheduledAt: a task runs once at scheduledAt or on every occurrence of cron',
  );
}
