import { describe, expect, it } from 'vitest';
import { MAX_LIMIT_WAIT_MS, attemptLimits, limitWaitMs, rateWindow } from '../src/index.js';

describe('attemptLimits', () => {
  it('is the owner’s USER_CONCURRENCY alone without flow control', () => {
    expect(attemptLimits({ userId: 'u1', flowControl: null }, 25)).toEqual([{ key: 'user:u1', parallelism: 25, rate: null }]);
  });

  it('puts the flow key, scoped to its owner, before the user limit', () => {
    expect(attemptLimits({ userId: 'u1', flowControl: { key: 'billing', parallelism: 2, ratePerSecond: 5 } }, 25)).toEqual([
      { key: 'flow:u1:billing', parallelism: 2, rate: { starts: 5, windowMs: 1_000 } },
      { key: 'user:u1', parallelism: 25, rate: null },
    ]);
    expect(attemptLimits({ userId: 'u2', flowControl: { key: 'billing', ratePerSecond: 1 } }, 3)[0]).toEqual({
      key: 'flow:u2:billing',
      parallelism: null,
      rate: { starts: 1, windowMs: 1_000 },
    });
  });
});

describe('rateWindow', () => {
  it.each([
    [5, { starts: 5, windowMs: 1_000 }],
    [1, { starts: 1, windowMs: 1_000 }],
    [2.5, { starts: 2, windowMs: 1_000 }],
    [0.5, { starts: 1, windowMs: 2_000 }],
    [0.1, { starts: 1, windowMs: 10_000 }],
    [0.3, { starts: 1, windowMs: 3_334 }],
  ])('allows never more than %s per second: %j', (rate, window) => {
    expect(rateWindow(rate)).toEqual(window);
  });
});

describe('limitWaitMs', () => {
  const noJitter = () => 0;
  it('asks again soon when next in line, about once a second from far back', () => {
    expect(limitWaitMs({ limit: 0, behind: 1, rateWaitMs: 0 }, null, noJitter)).toBe(20);
    expect(limitWaitMs({ limit: 0, behind: 10, rateWaitMs: 0 }, null, noJitter)).toBe(200);
    expect(limitWaitMs({ limit: 0, behind: 500, rateWaitMs: 0 }, null, noJitter)).toBe(MAX_LIMIT_WAIT_MS);
    expect(limitWaitMs({ limit: 0, behind: 500, rateWaitMs: 0 }, null, () => 0.999)).toBeLessThanOrEqual(MAX_LIMIT_WAIT_MS * 1.2);
  });

  it('waits for the rate window to let it start, one window more per `starts` ahead of it', () => {
    const rate = { starts: 2, windowMs: 1_000 };
    expect(limitWaitMs({ limit: 0, behind: 1, rateWaitMs: 300 }, rate, noJitter)).toBe(300);
    expect(limitWaitMs({ limit: 0, behind: 2, rateWaitMs: 300 }, rate, noJitter)).toBe(300);
    expect(limitWaitMs({ limit: 0, behind: 3, rateWaitMs: 300 }, rate, noJitter)).toBe(1_300);
  });
});
