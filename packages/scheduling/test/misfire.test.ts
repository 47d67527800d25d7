import { describe, expect, it } from 'vitest';
import {
  MAX_MISFIRE_REPLAYS,
  admitOccurrence,
  nextOccurrence,
  nextStateAfterAttempt,
  previewTaskSchedule,
  resumedRunAt,
  type CronSchedule,
  type MisfirePolicy,
} from '../src/index.js';

const GRACE_MS = 60_000;
const EVERY_10_MINUTES: CronSchedule = { cron: '*/10 * * * *', timezone: 'UTC' };
const EVERY_MINUTE: CronSchedule = { cron: '* * * * *', timezone: 'UTC' };
const DAY = '2026-06-01';

/** `10:42:30` on the test day, UTC. */
function at(time: string): Date {
  return new Date(`${DAY}T${time.length === 5 ? `${time}:00` : time}Z`);
}

function clock(instant: Date): string {
  const text = instant.toISOString().slice(11, 23);
  return text.endsWith('.000') ? text.slice(0, 8).replace(/:00$/, '') : text;
}

interface Scenario {
  schedule: CronSchedule;
  /** The task's first run is due at this time. */
  firstDue: string;
  /** Simulate until this time. */
  until: string;
  /** No worker runs in [from, to): a job due then fires at `to`. */
  outage?: [string, string];
  /** The task is paused at `from` and resumed at `to`: its queued job is dropped, resume reschedules it. */
  pause?: [string, string];
  /** How long the attempt of the run due at a time takes, in ms (default 1 s). */
  durationMs?: (scheduledFor: Date) => number;
}

/**
 * The runs a scheduler makes, as `started → due` lines: a worker picks up the job of the task's next run when it is
 * due (or when workers are back, or when the previous attempt ended), asks `admitOccurrence` before claiming, runs it,
 * and records it with `nextStateAfterAttempt`; a resume moves `nextRunAt` by `resumedRunAt`. The same calls the worker,
 * the recording and the resume action make.
 */
function simulate(misfire: MisfirePolicy, scenario: Scenario): string[] {
  const { schedule, outage, pause } = scenario;
  const until = at(scenario.until).getTime();
  const runs: string[] = [];
  let due = at(scenario.firstDue);
  let free = 0;
  for (;;) {
    let start = Math.max(due.getTime(), free);
    if (outage && start >= at(outage[0]).getTime() && start < at(outage[1]).getTime()) start = at(outage[1]).getTime();
    if (pause && start >= at(pause[0]).getTime() && start < at(pause[1]).getTime()) {
      const now = at(pause[1]);
      due = resumedRunAt({ schedule, misfire, graceMs: GRACE_MS, nextRunAt: due, now });
      free = now.getTime();
      continue;
    }
    if (start >= until) return runs;
    const now = new Date(start);
    const admission = admitOccurrence({ schedule, misfire, graceMs: GRACE_MS, scheduledFor: due, now });
    if (admission.kind === 'skip') {
      due = admission.nextRunAt;
      free = start;
      continue;
    }
    const finished = new Date(start + (scenario.durationMs?.(due) ?? 1_000));
    runs.push(`${clock(now)} → ${clock(due)}`);
    const next = nextStateAfterAttempt({
      outcome: 'succeeded',
      attemptsMade: 1,
      maxRetries: 0,
      backoff: { type: 'fixed', delayMs: 1_000, maxDelayMs: 1_000, jitter: false },
      retryAfterMs: null,
      now: finished,
      schedule,
      scheduledFor: due,
      startedAt: now,
      misfire,
      misfireGraceMs: GRACE_MS,
    });
    due = next.nextRunAt!;
    free = finished.getTime();
  }
}

// The README's timelines: every 10 minutes, grace 60 s.
const OUTAGE: Scenario = { schedule: EVERY_10_MINUTES, firstDue: '10:00', until: '11:01', outage: ['10:05', '10:42'] };
const PAUSE: Scenario = { schedule: EVERY_10_MINUTES, firstDue: '10:00', until: '11:01', pause: ['10:05', '10:42'] };
// Every minute; the 10:00 attempt takes 4.5 min (10:01, 10:02 and 10:03 are missed, 10:04 is not yet).
const LONG_ATTEMPT: Scenario = {
  schedule: EVERY_MINUTE,
  firstDue: '10:00',
  until: '10:06:30',
  durationMs: (scheduledFor) => (clock(scheduledFor) === '10:00' ? 270_000 : 1_000),
};

describe('misfire policies, each case', () => {
  it.each<[string, MisfirePolicy, Scenario, string[]]>([
    ['worker outage', 'once', OUTAGE, ['10:00 → 10:00', '10:42 → 10:10', '10:50 → 10:50', '11:00 → 11:00']],
    ['worker outage', 'skip', OUTAGE, ['10:00 → 10:00', '10:50 → 10:50', '11:00 → 11:00']],
    [
      'worker outage',
      'all',
      OUTAGE,
      ['10:00 → 10:00', '10:42 → 10:10', '10:42:01 → 10:20', '10:42:02 → 10:30', '10:42:03 → 10:40', '10:50 → 10:50', '11:00 → 11:00'],
    ],
    ['pause and resume', 'once', PAUSE, ['10:00 → 10:00', '10:42 → 10:10', '10:50 → 10:50', '11:00 → 11:00']],
    ['pause and resume', 'skip', PAUSE, ['10:00 → 10:00', '10:50 → 10:50', '11:00 → 11:00']],
    [
      'pause and resume',
      'all',
      PAUSE,
      ['10:00 → 10:00', '10:42 → 10:10', '10:42:01 → 10:20', '10:42:02 → 10:30', '10:42:03 → 10:40', '10:50 → 10:50', '11:00 → 11:00'],
    ],
    ['long attempt', 'once', LONG_ATTEMPT, ['10:00 → 10:00', '10:04:30 → 10:01', '10:05 → 10:05', '10:06 → 10:06']],
    ['long attempt', 'skip', LONG_ATTEMPT, ['10:00 → 10:00', '10:04:30 → 10:04', '10:05 → 10:05', '10:06 → 10:06']],
    [
      'long attempt',
      'all',
      LONG_ATTEMPT,
      ['10:00 → 10:00', '10:04:30 → 10:01', '10:04:31 → 10:02', '10:04:32 → 10:03', '10:04:33 → 10:04', '10:05 → 10:05', '10:06 → 10:06'],
    ],
  ])('%s, %s: started → due', (_case, misfire, scenario, expected) => {
    expect(simulate(misfire, scenario)).toEqual(expected);
  });

  it.each<[MisfirePolicy, string[]]>([
    // Workers back at 10:40:30: 10:40 is 30 s late, within the grace, so it runs as itself under every policy.
    ['once', ['10:00 → 10:00', '10:40:30 → 10:10', '10:50 → 10:50']],
    ['skip', ['10:00 → 10:00', '10:40:30 → 10:40', '10:50 → 10:50']],
    ['all', ['10:00 → 10:00', '10:40:30 → 10:10', '10:40:31 → 10:20', '10:40:32 → 10:30', '10:40:33 → 10:40', '10:50 → 10:50']],
  ])('an occurrence within the grace is not missed (%s)', (misfire, expected) => {
    expect(simulate(misfire, { ...OUTAGE, until: '10:51', outage: ['10:05', '10:40:30'] })).toEqual(expected);
  });

  it.each<[MisfirePolicy, string[]]>([
    // The run (say, with its retries) ends at 10:05:30, past 10:04's grace as well: skip runs 10:05 only, as itself.
    ['once', ['10:00 → 10:00', '10:05:30 → 10:01', '10:06 → 10:06']],
    ['skip', ['10:00 → 10:00', '10:05:30 → 10:05', '10:06 → 10:06']],
    [
      'all',
      [
        '10:00 → 10:00',
        '10:05:30 → 10:01',
        '10:05:31 → 10:02',
        '10:05:32 → 10:03',
        '10:05:33 → 10:04',
        '10:05:34 → 10:05',
        '10:06 → 10:06',
      ],
    ],
  ])('a run that ends past the grace of its last missed occurrence (%s)', (misfire, expected) => {
    const scenario = { ...LONG_ATTEMPT, durationMs: (due: Date) => (clock(due) === '10:00' ? 330_000 : 1_000) };
    expect(simulate(misfire, scenario)).toEqual(expected);
  });
});

describe('the preview of a task', () => {
  it.each<MisfirePolicy>(['once', 'skip', 'all'])('lists the runs the scheduler then makes (%s, workers back at 10:42)', (misfire) => {
    const runs = simulate(misfire, OUTAGE).filter((run) => run >= '10:42');
    const preview = previewTaskSchedule(
      { schedule: EVERY_10_MINUTES, misfire, graceMs: GRACE_MS, nextRunAt: at('10:10'), inRun: false, now: at('10:42') },
      runs.length,
    );
    expect(preview.map((occurrence) => clock(new Date(occurrence.at)))).toEqual(runs.map((run) => run.split(' → ')[1]));
  });
});

describe('admitOccurrence', () => {
  const settings = { schedule: EVERY_10_MINUTES, graceMs: GRACE_MS };
  it.each<[MisfirePolicy, string, string, ReturnType<typeof admitOccurrence>]>([
    ['once', '10:10', '10:10:59', { kind: 'run' }],
    ['skip', '10:10', '10:10:59', { kind: 'run' }],
    ['skip', '10:10', '10:11', { kind: 'run' }],
    ['skip', '10:10', '10:11:00.001', { kind: 'skip', nextRunAt: at('10:20') }],
    ['skip', '10:10', '10:40:30', { kind: 'skip', nextRunAt: at('10:40') }],
    ['skip', '10:10', '10:41:30', { kind: 'skip', nextRunAt: at('10:50') }],
    ['all', '10:10', '10:42', { kind: 'run' }],
    ['once', '10:10', '10:42', { kind: 'run' }],
    ['skip', '10:10', '10:05', { kind: 'run' }],
    // not occurrences: a manual run now, a retry
    ['skip', '10:10:00.123', '10:42', { kind: 'run' }],
    ['all', '10:13:27', '12:00', { kind: 'run' }],
  ])('%s: due %s, seen at %s', (misfire, due, now, expected) => {
    expect(admitOccurrence({ ...settings, misfire, scheduledFor: at(due), now: at(now) })).toEqual(expected);
  });

  it(`replays at most the ${MAX_MISFIRE_REPLAYS} most recent missed occurrences under all`, () => {
    // Every minute, workers down from 10:00 to 14:00: 10:00 to 12:59 are missed (13:59 is within the grace at 14:00).
    const admission = admitOccurrence({
      schedule: EVERY_MINUTE,
      misfire: 'all',
      graceMs: GRACE_MS,
      scheduledFor: at('10:00'),
      now: at('14:00'),
    });
    expect(admission).toEqual({ kind: 'skip', nextRunAt: at('12:19') });
    // 12:19 … 13:58 are the 100 most recent missed; 13:59 is not missed yet.
    let count = 0;
    for (let due = at('12:19'); due < at('13:59'); due = nextOccurrence(EVERY_MINUTE, due)) count++;
    expect(count).toBe(MAX_MISFIRE_REPLAYS);
    // A schedule with fewer missed occurrences than that replays them all.
    expect(
      admitOccurrence({ schedule: EVERY_MINUTE, misfire: 'all', graceMs: GRACE_MS, scheduledFor: at('13:00'), now: at('14:00') }),
    ).toEqual({
      kind: 'run',
    });
  });

  it('finds the replays of a long outage quickly', () => {
    const started = performance.now();
    const admission = admitOccurrence({
      schedule: { cron: '* * * * * *', timezone: 'Europe/Berlin' },
      misfire: 'all',
      graceMs: GRACE_MS,
      scheduledFor: new Date('2026-01-01T00:00:00Z'),
      now: new Date('2026-06-01T00:00:00Z'),
    });
    expect(admission).toEqual({ kind: 'skip', nextRunAt: new Date('2026-05-31T23:57:20Z') });
    // Loose: a loaded 2-core machine; walking the 13 million missed seconds one by one would take minutes.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('resumedRunAt', () => {
  it.each<[MisfirePolicy, string, string, string]>([
    ['once', '10:10', '10:42', '10:10'],
    ['skip', '10:10', '10:42', '10:50'],
    ['all', '10:10', '10:42', '10:10'],
    ['skip', '10:10', '10:40:30', '10:40'],
    ['skip', '10:10', '10:05', '10:10'],
    ['skip', '10:10', '10:10:30', '10:10'],
  ])('%s: waiting for %s, resumed at %s: next run %s', (misfire, nextRunAt, now, expected) => {
    expect(resumedRunAt({ schedule: EVERY_10_MINUTES, misfire, graceMs: GRACE_MS, nextRunAt: at(nextRunAt), now: at(now) })).toEqual(
      at(expected),
    );
  });
});
