import { checkCallbacks, checkFailureStreak } from '@punctual/core';
import { describe, expect, it } from 'vitest';

describe('checkCallbacks', () => {
  const guarded = { allowPrivateTargets: false };

  it('normalizes each URL and drops an empty set to null', () => {
    expect(checkCallbacks({ onSuccess: 'HTTPS://A.example.com', onFailure: 'http:b.example.com/x' }, guarded)).toEqual({
      onSuccess: 'https://a.example.com/',
      onFailure: 'http://b.example.com/x',
    });
    expect(checkCallbacks({}, guarded)).toBeNull();
    expect(checkCallbacks(null, guarded)).toBeNull();
  });

  it('names the callback whose URL is refused; private addresses pass only when allowed', () => {
    expect(() => checkCallbacks({ onFailure: 'http://192.168.1.1/' }, guarded)).toThrow(
      /^body\/callbacks\/onFailure names the blocked address/,
    );
    expect(checkCallbacks({ onFailure: 'http://192.168.1.1/' }, { allowPrivateTargets: true })).toEqual({
      onFailure: 'http://192.168.1.1/',
    });
  });
});

describe('checkFailureStreak', () => {
  it('refuses afterConsecutiveFailures on a one-off task only', () => {
    const notify = { onFailure: true, onRetry: false, afterConsecutiveFailures: 3 };
    expect(() => checkFailureStreak(notify, false)).toThrow(/^body\/notify\/afterConsecutiveFailures applies to recurring tasks only/);
    expect(() => checkFailureStreak(notify, true)).not.toThrow();
    expect(() => checkFailureStreak({ onFailure: true, onRetry: false }, false)).not.toThrow();
  });
});
