import { describe, expect, it } from 'vitest';
import { IDLE_LIST_REFRESH_MS, LIVE_REFRESH_MS, emptiedPageFallback, isLive, listRefreshMs, taskRefreshMs } from '../src/api/tasks';

const now = Date.parse('2030-01-01T12:00:00Z');
const at = (offsetMs: number) => new Date(now + offsetMs).toISOString();

describe('isLive', () => {
  it('holds while a run is in flight or being retried, whenever its next attempt is', () => {
    expect(isLive({ status: 'running', nextRunAt: null }, now)).toBe(true);
    expect(isLive({ status: 'retrying', nextRunAt: at(3_600_000) }, now)).toBe(true);
  });

  it('holds for a pending task due within a minute, or due a moment ago', () => {
    expect(isLive({ status: 'pending', nextRunAt: at(2_000) }, now)).toBe(true);
    expect(isLive({ status: 'pending', nextRunAt: at(60_000) }, now)).toBe(true);
    expect(isLive({ status: 'pending', nextRunAt: at(-5_000) }, now)).toBe(true);
  });

  it('does not hold for a task due later, paused or finished', () => {
    expect(isLive({ status: 'pending', nextRunAt: at(30 * 24 * 3_600_000) }, now)).toBe(false);
    expect(isLive({ status: 'pending', nextRunAt: at(61_000) }, now)).toBe(false);
    expect(isLive({ status: 'paused', nextRunAt: at(1_000) }, now)).toBe(false);
    expect(isLive({ status: 'completed', nextRunAt: null }, now)).toBe(false);
  });
});

describe('taskRefreshMs', () => {
  it('polls a live task quickly', () => {
    expect(taskRefreshMs({ status: 'pending', nextRunAt: at(2_000) }, now)).toBe(LIVE_REFRESH_MS);
  });

  it('looks again when a later run comes within the live window, at most every ten minutes', () => {
    expect(taskRefreshMs({ status: 'pending', nextRunAt: at(5 * 60_000) }, now)).toBe(4 * 60_000);
    expect(taskRefreshMs({ status: 'pending', nextRunAt: at(30 * 24 * 3_600_000) }, now)).toBe(10 * 60_000);
  });

  it('keeps looking, slowly, at an overdue task', () => {
    expect(taskRefreshMs({ status: 'pending', nextRunAt: at(-5 * 60_000) }, now)).toBe(IDLE_LIST_REFRESH_MS);
  });

  it('never polls a task with nothing due', () => {
    expect(taskRefreshMs({ status: 'paused', nextRunAt: at(1_000) }, now)).toBe(false);
    expect(taskRefreshMs({ status: 'failed', nextRunAt: null }, now)).toBe(false);
    expect(taskRefreshMs(undefined, now)).toBe(false);
  });
});

describe('listRefreshMs', () => {
  it('polls quickly only while a row is live', () => {
    const monthly = { status: 'pending' as const, nextRunAt: at(30 * 24 * 3_600_000) };
    expect(listRefreshMs([monthly, { status: 'completed', nextRunAt: null }], now)).toBe(IDLE_LIST_REFRESH_MS);
    expect(listRefreshMs([monthly, { status: 'running', nextRunAt: null }], now)).toBe(LIVE_REFRESH_MS);
    expect(listRefreshMs(undefined, now)).toBe(IDLE_LIST_REFRESH_MS);
  });
});

describe('emptiedPageFallback', () => {
  it('leaves a page with rows, an empty list and the first page alone', () => {
    expect(emptiedPageFallback(2, 5, 25, 20)).toBeNull();
    expect(emptiedPageFallback(2, 0, 0, 20)).toBeNull();
    expect(emptiedPageFallback(1, 0, 3, 20)).toBeNull();
  });

  it('goes to the last page with rows when a later page was emptied', () => {
    expect(emptiedPageFallback(2, 0, 20, 20)).toBe(1);
    expect(emptiedPageFallback(5, 0, 45, 20)).toBe(3);
  });

  it('steps back a page when the count says this page should have rows', () => {
    expect(emptiedPageFallback(3, 0, 45, 20)).toBe(2);
  });
});
