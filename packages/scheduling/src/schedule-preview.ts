import { occurrencesAfter, type CronSchedule, type DstMark, type Occurrence } from './cron-schedule.js';

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
