import { nextOccurrence, occurrencesAfter, type CronSchedule } from './cron-schedule.js';
import type { MisfirePolicy } from './delivery-options.js';

/**
 * Missed occurrences of recurring tasks (api.md "Delivery options", `misfire`). An occurrence is missed when no attempt
 * could start within `graceMs` (MISFIRE_GRACE_MS) of its time: its time is before `now - graceMs`. An occurrence not
 * yet missed always runs, under every policy. Of the missed ones:
 * - `once` runs one catch-up run, at once, for all of them (scheduled for the oldest; a run covers every occurrence
 *   due before its attempt started);
 * - `skip` runs none: the next run is the first occurrence not yet missed;
 * - `all` runs each, oldest first, back to back: at most the MAX_MISFIRE_REPLAYS most recent ones (older ones are
 *   dropped, so a long outage replays its last 100 occurrences, and the task is back on its schedule after them).
 *
 * One rule for the three places a run can be late: a job that fires late (workers were down: `admitOccurrence`, before
 * the claim), a task resumed after a pause (`resumedRunAt`), and a run whose attempt outlasted later occurrences
 * (`nextRunAfter`, when it is recorded).
 */

/** `all` replays at most this many missed occurrences: the most recent ones. */
export const MAX_MISFIRE_REPLAYS = 100;

/** MISFIRE_GRACE_MS's default (the contract's), for callers given no configuration. */
export const DEFAULT_MISFIRE_GRACE_MS = 60_000;

/** What every misfire rule needs to know of a recurring task. */
export interface MisfireSettings {
  schedule: CronSchedule;
  misfire: MisfirePolicy;
  /** MISFIRE_GRACE_MS: how late an occurrence may start before it counts as missed. */
  graceMs: number;
}

/**
 * When a recurring task whose oldest occurrence not yet run is `due` should run next, seen at `now`: `due` itself
 * unless it is missed, else as the policy says (`once`: `due`, as the catch-up run; `skip`: the first occurrence not
 * yet missed; `all`: the oldest of the MAX_MISFIRE_REPLAYS most recent missed occurrences from `due` on). The answer
 * may be in the past (by less than the grace, or a catch-up): it runs at once. A `due` that is not an occurrence of
 * the schedule (a manual run, a retry) is never missed.
 */
export function dueRunAt(settings: MisfireSettings & { due: Date; now: Date }): Date {
  const { schedule, misfire, due } = settings;
  const cutoff = settings.now.getTime() - settings.graceMs;
  if (due.getTime() >= cutoff || misfire === 'once' || !isOccurrence(schedule, due)) return due;
  if (misfire === 'skip') return nextOccurrence(schedule, new Date(cutoff - 1));
  return oldestOfRecent(schedule, due, cutoff, MAX_MISFIRE_REPLAYS);
}

/** What a worker does with the job of a run due at `scheduledFor`, before claiming it. */
export type OccurrenceAdmission = { kind: 'run' } | { kind: 'skip'; nextRunAt: Date };

/**
 * Before a worker claims the first attempt of a recurring task's run (attempts 0), due at `scheduledFor`: `run` it,
 * or `skip` it because it is missed and the policy does not run it, moving the task to `nextRunAt` (which may be due at
 * once). Retries and manual runs are never skipped (they are not occurrences of the schedule).
 */
export function admitOccurrence(settings: MisfireSettings & { scheduledFor: Date; now: Date }): OccurrenceAdmission {
  const nextRunAt = dueRunAt({ ...settings, due: settings.scheduledFor });
  return nextRunAt.getTime() === settings.scheduledFor.getTime() ? { kind: 'run' } : { kind: 'skip', nextRunAt };
}

/**
 * The `nextRunAt` of a paused recurring task that is resumed at `now`, waiting for the run due at `nextRunAt`
 * (attempts 0). `once` keeps it (a past one runs at once, as the catch-up); `skip` and `all` apply `dueRunAt`.
 */
export function resumedRunAt(settings: MisfireSettings & { nextRunAt: Date; now: Date }): Date {
  return dueRunAt({ ...settings, due: settings.nextRunAt });
}

/**
 * When a recurring task runs next after a run that was due at `scheduledFor` and whose last attempt started at
 * `startedAt` and was recorded at `now`. The occurrences after the run's own are due next, except that under `once`
 * the run also covers every occurrence due before its attempt started (it was their catch-up run). Then `dueRunAt`:
 * occurrences that came and went during a long attempt are missed like any others.
 */
export function nextRunAfter(settings: MisfireSettings & { scheduledFor: Date; startedAt: Date; now: Date }): Date {
  const { scheduledFor, startedAt } = settings;
  const covered = settings.misfire === 'once' && startedAt > scheduledFor ? startedAt : scheduledFor;
  return dueRunAt({ ...settings, due: nextOccurrence(settings.schedule, covered) });
}

/** Whether `at` is an occurrence of `schedule` (a run's due time from the schedule, not a manual run or a retry). */
function isOccurrence(schedule: CronSchedule, at: Date): boolean {
  return nextOccurrence(schedule, new Date(at.getTime() - 1)).getTime() === at.getTime();
}

/** The first search window, widened fourfold until it holds `limit` occurrences or reaches `from`. */
const FIRST_WINDOW_MS = 60_000;

/**
 * The oldest of the `limit` most recent occurrences in [from, cutoff), `from` being one. Searches windows ending at
 * `cutoff`, each four times the last, so a long outage costs about as many steps as the occurrences replayed, not as
 * the occurrences missed.
 */
function oldestOfRecent(schedule: CronSchedule, from: Date, cutoff: number, limit: number): Date {
  for (let window = FIRST_WINDOW_MS; ; window *= 4) {
    const start = Math.max(from.getTime(), cutoff - window);
    // The most recent `limit` occurrences in [start, cutoff), oldest first.
    const recent: Date[] = [];
    for (const { at } of occurrencesAfter(schedule, new Date(start - 1))) {
      if (at.getTime() >= cutoff) break;
      recent.push(at);
      if (recent.length > limit) recent.shift();
    }
    if (recent.length === limit || start === from.getTime()) return recent[0] ?? from;
  }
}
