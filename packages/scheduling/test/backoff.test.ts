import { describe, expect, it } from 'vitest';
import { retryDelayMs, type BackoffPolicy } from '../src/index.js';

const exponential: BackoffPolicy = { type: 'exponential', delayMs: 10_000, maxDelayMs: 3_600_000, jitter: false };
const fixed: BackoffPolicy = { type: 'fixed', delayMs: 5_000, maxDelayMs: 3_600_000, jitter: false };

describe('retryDelayMs', () => {
  it.each([
    [exponential, 1, 10_000],
    [exponential, 2, 20_000],
    [exponential, 3, 40_000],
    [exponential, 9, 2_560_000],
    [exponential, 10, 3_600_000],
    [exponential, 25, 3_600_000],
    [exponential, 1000, 3_600_000],
    [fixed, 1, 5_000],
    [fixed, 7, 5_000],
    [{ ...fixed, maxDelayMs: 1_000 }, 1, 1_000],
    [{ ...exponential, delayMs: 0 }, 5, 0],
  ] as const)('%o retry %i waits %i ms', (policy, n, expected) => {
    expect(retryDelayMs(policy, n)).toBe(expected);
  });

  it('adds 0 to 25 % with jitter, never past maxDelayMs', () => {
    const policy = { ...exponential, jitter: true };
    expect(retryDelayMs(policy, 1, { random: () => 0 })).toBe(10_000);
    expect(retryDelayMs(policy, 1, { random: () => 0.999_999 })).toBe(12_500);
    expect(retryDelayMs(policy, 2, { random: () => 0.5 })).toBe(22_500);
    expect(retryDelayMs({ ...policy, maxDelayMs: 11_000 }, 1, { random: () => 0.999 })).toBe(11_000);
  });

  it('raises the delay to a longer Retry-After, capped at maxDelayMs', () => {
    expect(retryDelayMs(exponential, 1, { retryAfterMs: 120_000 })).toBe(120_000);
    expect(retryDelayMs(exponential, 1, { retryAfterMs: 5_000 })).toBe(10_000);
    expect(retryDelayMs(exponential, 1, { retryAfterMs: 86_400_000 })).toBe(3_600_000);
    expect(retryDelayMs(exponential, 1, { retryAfterMs: null })).toBe(10_000);
  });
});
