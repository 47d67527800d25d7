import { describe, expect, it } from 'vitest';
import { outcomeDeliveries, type OutcomeDeliveryInput } from '../src/index.js';

const base: OutcomeDeliveryInput = {
  outcome: 'failed',
  runFinished: true,
  recurring: false,
  notify: { onFailure: true, onRetry: false },
  callbacks: null,
  consecutiveFailures: 0,
  failureAlerted: false,
};
const callbacks = { onSuccess: 'https://example.com/ok', onFailure: 'https://example.com/ko' };

describe('outcomeDeliveries', () => {
  it.each<[string, Partial<OutcomeDeliveryInput>, string[], string[]]>([
    ['a final failure: the failure email by default', {}, ['run.failed'], []],
    ['a final failure with onFailure off: nothing', { notify: { onFailure: false, onRetry: false } }, [], []],
    ['a retried failure: nothing by default', { runFinished: false }, [], []],
    ['a retried failure with onRetry', { runFinished: false, notify: { onFailure: true, onRetry: true } }, ['attempt.retrying'], []],
    ['a retried failure never calls back', { runFinished: false, callbacks }, [], []],
    ['a final failure with callbacks', { callbacks }, ['run.failed'], ['run.failed https://example.com/ko']],
    ['a success: its callback and no email', { outcome: 'succeeded', callbacks }, [], ['run.succeeded https://example.com/ok']],
    ['a success without callbacks: nothing', { outcome: 'succeeded' }, [], []],
    ['a failure with only onSuccess: no callback', { callbacks: { onSuccess: 'https://example.com/ok' } }, ['run.failed'], []],
  ])('%s', (_name, input, emails, calls) => {
    const result = outcomeDeliveries({ ...base, ...input });
    expect(result.emails).toEqual(emails);
    expect(result.callbacks.map((call) => `${call.type} ${call.url}`)).toEqual(calls);
  });

  describe('afterConsecutiveFailures on a recurring task', () => {
    const streak = { ...base, recurring: true, notify: { onFailure: true, onRetry: false, afterConsecutiveFailures: 3 } };

    it.each<[string, Partial<OutcomeDeliveryInput>, string[]]>([
      ['the 1st failed run: no email', { consecutiveFailures: 0 }, []],
      ['the 2nd failed run: no email', { consecutiveFailures: 1 }, []],
      ['the 3rd failed run: one alert', { consecutiveFailures: 2 }, ['task.failing']],
      ['the 4th failed run: nothing more', { consecutiveFailures: 3, failureAlerted: true }, []],
      ['N lowered mid-streak: the alert at the next failure', { consecutiveFailures: 9 }, ['task.failing']],
      ['a success after the alert: recovered', { outcome: 'succeeded', consecutiveFailures: 5, failureAlerted: true }, ['task.recovered']],
      ['a success before the alert: nothing', { outcome: 'succeeded', consecutiveFailures: 2 }, []],
      [
        'a retried failure still follows onRetry',
        { runFinished: false, notify: { ...streak.notify, onRetry: true } },
        ['attempt.retrying'],
      ],
    ])('%s', (_name, input, emails) => {
      expect(outcomeDeliveries({ ...streak, ...input }).emails).toEqual(emails);
    });

    it.each<[string, Partial<OutcomeDeliveryInput>, boolean]>([
      ['set by the alert', { consecutiveFailures: 2 }, true],
      ['kept by a failure after it', { consecutiveFailures: 3, failureAlerted: true }, true],
      ['kept by a retried failure', { runFinished: false, failureAlerted: true }, true],
      ['cleared by a success', { outcome: 'succeeded', consecutiveFailures: 4, failureAlerted: true }, false],
      ['not set before the N-th failure', { consecutiveFailures: 0 }, false],
    ])('failureAlerted: %s', (_name, input, alerted) => {
      expect(outcomeDeliveries({ ...streak, ...input }).failureAlerted).toBe(alerted);
    });

    it('is ignored on a one-off task, which gets the failure email', () => {
      expect(outcomeDeliveries({ ...streak, recurring: false, consecutiveFailures: 2 }).emails).toEqual(['run.failed']);
    });

    it('still calls back on every failed run', () => {
      expect(outcomeDeliveries({ ...streak, callbacks, consecutiveFailures: 0 }).callbacks).toEqual([
        { type: 'run.failed', url: 'https://example.com/ko' },
      ]);
    });
  });
});
