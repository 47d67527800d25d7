import { occurrencesAfter, type CronSchedule, type DstMark, type Occurrence } from './cron-schedule.js';
import { dueRunAt, nextRunAfter, type MisfireSettings } from './misfire.js';

/** One occurrence as the schedule preview shows it. */
export interface PreviewedOccurrence {
  /** The instant, ISO-8601 in UTC. */
  at: string;
  /** The same instant as the zone's wall-clock time with its offset: `2026-03-29T03:30:00+02:00`. */
  local: string;
  dst: DstMark | null;
}

/**
 * The next `count` occurrences of `schedule` strictly after `after`: the runs the scheduler makes, taken from the
 * same iterator (`occurrencesAfter`) with their DST marks. Throws InvalidScheduleError as `checkCronSchedule` does.
 */
export function previewSchedule(schedule: CronSchedule, after: Date, count: number): PreviewedOccurrence[] {
  const occurrences = occurrencesAfter(schedule, after);
  return Array.from({ length: count }, () => previewed(occurrences.next().value));
}

/** What the preview of a recurring task needs to know of it. */
export interface TaskSchedulePreview extends MisfireSettings {
  /** The task's `nextRunAt`: its next run, or while a run is in progress (`running`, `retrying`) that run's. */
  nextRunAt: Date | null;
  /** A run is in progress (running or retrying): the runs to show come after it. */
  inRun: boolean;
  now: Date;
}

/**
 * The next `count` occurrences a recurring task will run, seen at `now`, from the same rules the scheduler applies: a
 * waiting (or paused, as if resumed now) task's next run as `dueRunAt` gives it — a missed one per its misfire policy,
 * so it may lie in the past and run at once — then the occurrences after it (under `once`, after now: the catch-up run
 * covers those due before it starts). With a run in progress, the runs after it, as if it ended now (`nextRunAfter`, its attempt started when due).
 * A next run that is not an occurrence (a manual run) is not shown, only the occurrences after it.
 */
export function previewTaskSchedule(task: TaskSchedulePreview, count: number): PreviewedOccurrence[] {
  const { schedule, now } = task;
  const nextRunAt = task.nextRunAt ?? now;
  // A run in progress is taken as started when it was due (its attempt's start is not on the row) and ending now.
  const due = task.inRun ? nextRunAfter({ ...task, scheduledFor: nextRunAt, startedAt: nextRunAt }) : dueRunAt({ ...task, due: nextRunAt });
  const head = occurrencesAfter(schedule, new Date(due.getTime() - 1)).next().value;
  const shown = head.at.getTime() === due.getTime() ? [head] : [];
  // Under `once` a late run covers every occurrence due before it starts (now).
  const after = task.misfire === 'once' && now > due ? now : due;
  const rest = occurrencesAfter(schedule, after);
  while (shown.length < count) shown.push(rest.next().value);
  return shown.slice(0, count).map(previewed);
}

function previewed({ at, offsetMs, dst }: Occurrence): PreviewedOccurrence {
  return { at: at.toISOString(), local: localIso(at, offsetMs), dst };
}

const MINUTE_MS = 60_000;

/**
 * `at` as wall-clock time at `offsetMs`, ISO-8601 with the offset (`2026-10-25T02:30:00+02:00`). An offset with
 * seconds (local mean time before 1900) is cut to whole minutes, wall clock and suffix alike, so the text stays the
 * same instant.
 */
export function localIso(at: Date, offsetMs: number): string {
  const offset = Math.trunc(offsetMs / MINUTE_MS) * MINUTE_MS;
  const wall = new Date(at.getTime() + offset).toISOString().slice(0, 19);
  const minutes = Math.abs(offset) / MINUTE_MS;
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${wall}${offset < 0 ? '-' : '+'}${hh}:${mm}`;
}
