import { describe, expect, it } from 'vitest';
import {
  isRetried,
  matchesStatusRules,
  nextStateAfterAttempt,
  notRetriedError,
  outcomeRulesProblem,
  type FailureKind,
  type FinishedAttempt,
  type RetryRule,
  type StatusCodeRule,
} from '../src/index.js';

describe('matchesStatusRules (successCodes)', () => {
  it.each<[StatusCodeRule[], number, boolean]>([
    [['2xx'], 200, true],
    [['2xx'], 204, true],
    [['2xx'], 299, true],
    [['2xx'], 199, false],
    [['2xx'], 300, false],
    [['2xx'], 404, false],
    [['2xx', 404], 404, true],
    [['2xx', 404], 410, false],
    [[404], 200, false],
    [['2xx', '3xx'], 302, true],
    [['4xx'], 451, true],
    [['1xx'], 101, true],
    [['5xx'], 599, true],
    [[410, 404], 410, true],
  ])('%j matches %i: %s', (rules, status, expected) => {
    expect(matchesStatusRules(status, rules)).toBe(expected);
  });
});

describe('isRetried (retryOn)', () => {
  // kind, status, retryOn, retried?
  it.each<[FailureKind, number | null, RetryRule[], boolean]>([
    ['status', 503, ['any'], true],
    ['status', 400, ['any'], true],
    ['network', null, ['any'], true],
    ['timeout', null, ['any'], true],
    ['not-sent', null, ['any'], true],
    ['status', 503, ['5xx'], true],
    ['status', 500, ['5xx'], true],
    ['status', 400, ['5xx'], false],
    ['status', 429, ['5xx'], false],
    ['status', 429, ['5xx', 429], true],
    ['status', 408, [408, 'network'], true],
    ['status', 302, ['3xx'], true],
    ['network', null, ['5xx'], false],
    ['timeout', null, ['5xx'], false],
    ['network', null, ['network'], true],
    ['timeout', null, ['network'], false],
    ['timeout', null, ['timeout'], true],
    ['network', null, ['timeout'], false],
    ['status', 503, ['network', 'timeout'], false],
    ['network', null, ['5xx', 'network'], true],
    ['timeout', null, ['5xx', 'network', 'timeout'], true],
    // Punctual refused to send: only "any" retries it.
    ['not-sent', null, ['5xx'], false],
    ['not-sent', null, ['network', 'timeout'], false],
    // A worker lost mid-attempt says nothing about the target: always retried.
    ['lost', null, ['5xx'], true],
    ['lost', null, [404], true],
  ])('%s %s with retryOn %j: %s', (kind, status, retryOn, expected) => {
    expect(isRetried(kind, status, retryOn)).toBe(expected);
  });
});

describe('notRetriedError', () => {
  it('says why the failure ended the run', () => {
    expect(notRetriedError('HTTP 400', ['5xx', 'network'])).toBe('HTTP 400 (not retried: retryOn is 5xx, network)');
    expect(notRetriedError('timeout after 1000 ms', [429, 'network'])).toBe('timeout after 1000 ms (not retried: retryOn is 429, network)');
    expect(notRetriedError(null, ['5xx'])).toBe('not retried: retryOn is 5xx');
  });
});

describe('nextStateAfterAttempt with retryOn', () => {
  const now = new Date('2026-11-22T10:00:00.000Z');
  const base: FinishedAttempt = {
    outcome: 'failed',
    failure: 'status',
    statusCode: 400,
    attemptsMade: 1,
    maxRetries: 3,
    backoff: { type: 'fixed', delayMs: 1_000, maxDelayMs: 60_000, jitter: false },
    retryAfterMs: null,
    now,
    retryOn: ['5xx'],
  };

  it('ends a one-off run at once, failed, when retryOn does not list the failure', () => {
    expect(nextStateAfterAttempt(base)).toEqual({
      kind: 'run-finished',
      status: 'failed',
      nextRunAt: null,
      runOutcome: 'failed',
      notRetried: true,
    });
  });

  it('ends a recurring run as failed and keeps the schedule', () => {
    expect(nextStateAfterAttempt({ ...base, schedule: { cron: '0 * * * *', timezone: 'UTC' } })).toEqual({
      kind: 'run-finished',
      status: 'pending',
      nextRunAt: new Date('2026-11-22T11:00:00.000Z'),
      runOutcome: 'failed',
      notRetried: true,
    });
  });

  it('retries a failure retryOn lists', () => {
    expect(nextStateAfterAttempt({ ...base, statusCode: 503 })).toEqual({
      kind: 'retry',
      status: 'retrying',
      nextRunAt: new Date('2026-11-22T10:00:01.000Z'),
    });
  });

  it('does not mark the last attempt: its run was over anyway', () => {
    expect(nextStateAfterAttempt({ ...base, attemptsMade: 4 })).toEqual({
      kind: 'run-finished',
      status: 'failed',
      nextRunAt: null,
      runOutcome: 'failed',
    });
    expect(nextStateAfterAttempt({ ...base, maxRetries: 0 })).not.toHaveProperty('notRetried');
  });

  it('retries every failure when retryOn is absent (null: the default "any")', () => {
    expect(nextStateAfterAttempt({ ...base, retryOn: null })).toMatchObject({ kind: 'retry' });
    expect(nextStateAfterAttempt({ ...base, retryOn: undefined, failure: 'not-sent' })).toMatchObject({ kind: 'retry' });
  });

  it('never marks a success', () => {
    expect(nextStateAfterAttempt({ ...base, outcome: 'succeeded', failure: null, statusCode: 404 })).toEqual({
      kind: 'run-finished',
      status: 'completed',
      nextRunAt: null,
      runOutcome: 'succeeded',
    });
  });
});

describe('outcomeRulesProblem', () => {
  it.each<[StatusCodeRule[], RetryRule[]]>([
    [['2xx'], ['any']],
    [
      ['2xx', 404],
      ['5xx', 'network', 'timeout', 429],
    ],
    [[200, 201, 404], ['2xx']], // 202…299 are failures here: retrying them is meaningful
    [['2xx'], [408, 429, '5xx']],
    [[404], ['4xx']], // a 4xx other than 404 can be retried
    [
      ['2xx', '2xx', 204],
      ['any', 'any'],
    ], // repeats and a code beside its class are harmless (stored without repeats)
    [['2xx'], ['5xx', 503, 'network', 'network']],
  ])('accepts successCodes %j with retryOn %j', (successCodes, retryOn) => {
    expect(outcomeRulesProblem(successCodes, retryOn)).toBeNull();
  });

  it.each<[StatusCodeRule[], RetryRule[], number, string]>([
    [['2xx'], ['5xx', 'any'], 1, 'retries every failure already: give "any" alone'],
    [['2xx'], ['any', 'network'], 0, 'retries every failure already: give "any" alone'],
    [['2xx', 404], [404], 0, '404 counts as success (successCodes), so it is never retried'],
    [['2xx', '4xx'], ['5xx', '4xx'], 1, '4xx counts as success (successCodes), so it is never retried'],
    [['2xx'], [201], 0, '201 counts as success (successCodes), so it is never retried'],
  ])('refuses successCodes %j with retryOn %j at retryOn/%i', (successCodes, retryOn, index, message) => {
    expect(outcomeRulesProblem(successCodes, retryOn)).toEqual({ index, message });
  });
});
