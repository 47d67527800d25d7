import { describe, expect, it } from 'vitest';
import { nextStateAfterAttempt, type FinishedAttempt } from '../src/index.js';

const now = new Date('2026-11-22T10:00:00.000Z');
const base: FinishedAttempt = {
  outcome: 'failed',
  attemptsMade: 1,
  maxRetries: 3,
  backoff: { type: 'exponential', delayMs: 1_000, maxDelayMs: 60_000, jitter: false },
  retryAfterMs: null,
  now,
};

describe('nextStateAfterAttempt', () => {
  it('completes a one-off task on success, whatever attempt it was', () => {
    expect(nextStateAfterAttempt({ ...base, outcome: 'succeeded', attemptsMade: 4 })).toEqual({
      kind: 'run-finished',
      status: 'completed',
      nextRunAt: null,
      runOutcome: 'succeeded',
    });
  });

  it.each([
    [1, '2026-11-22T10:00:01.000Z'],
    [2, '2026-11-22T10:00:02.000Z'],
    [3, '2026-11-22T10:00:04.000Z'],
  ])('retries after failed attempt %i at %s', (attemptsMade, at) => {
    expect(nextStateAfterAttempt({ ...base, attemptsMade })).toEqual({
      kind: 'retry',
      status: 'retrying',
      nextRunAt: new Date(at),
    });
  });

  it('moves a task to failed after 1 + maxRetries attempts', () => {
    expect(nextStateAfterAttempt({ ...base, attemptsMade: 4 })).toMatchObject({ status: 'failed', runOutcome: 'failed' });
  });

  it('fails at once with maxRetries 0', () => {
    expect(nextStateAfterAttempt({ ...base, maxRetries: 0 })).toMatchObject({ status: 'failed' });
  });

  it('honours Retry-After for the next attempt', () => {
    expect(nextStateAfterAttempt({ ...base, retryAfterMs: 30_000 })).toMatchObject({
      nextRunAt: new Date('2026-11-22T10:00:30.000Z'),
    });
  });
});
