import type { FlowControl } from './delivery-options.js';

/**
 * One limit an attempt must fit under before it is claimed: at most `parallelism` attempts of `key` in flight, and
 * at most `rate.starts` started in any `rate.windowMs`, across the whole fleet.
 */
export interface AttemptLimit {
  /** `flow:<userId>:<flow key>` or `user:<userId>`: flow keys are the owner's own, never shared between users. */
  key: string;
  parallelism: number | null;
  rate: RateWindow | null;
}

/** Starts allowed in a sliding window. */
export interface RateWindow {
  starts: number;
  windowMs: number;
}

/**
 * The limits an attempt of `userId`'s task must fit under, most specific first: its flow key (when the task has one),
 * then USER_CONCURRENCY. The order matters to the store: an attempt waiting on its flow key does not queue for a user
 * slot, so a throttled key never holds up the owner's other tasks.
 */
export function attemptLimits(task: { userId: string; flowControl: FlowControl | null }, userConcurrency: number): AttemptLimit[] {
  const user: AttemptLimit = { key: `user:${task.userId}`, parallelism: userConcurrency, rate: null };
  const flow = task.flowControl;
  if (flow === null) return [user];
  return [
    {
      key: `flow:${task.userId}:${flow.key}`,
      parallelism: flow.parallelism ?? null,
      rate: flow.ratePerSecond === undefined ? null : rateWindow(flow.ratePerSecond),
    },
    user,
  ];
}

/**
 * `ratePerSecond` as a sliding window of whole starts: at most ⌊rate⌋ starts in any second from 1 per second up
 * (2.5 allows 2: never more than asked), and one start per 1/rate seconds below (0.1: one in any 10 s).
 */
export function rateWindow(ratePerSecond: number): RateWindow {
  if (ratePerSecond >= 1) return { starts: Math.floor(ratePerSecond), windowMs: 1_000 };
  return { starts: 1, windowMs: Math.ceil(1_000 / ratePerSecond) };
}

/** What the store answers an attempt that does not fit: which limit held it, its place behind the free slots, and when a rate frees one. */
export interface LimitRefusal {
  /** Index into the limits given. */
  limit: number;
  /** 1 when it is next in line for a slot, more when others are ahead of it. */
  behind: number;
  /** Milliseconds until the rate window lets one more start (0 when a parallelism limit held it). */
  rateWaitMs: number;
}

/**
 * The longest a waiting attempt sleeps before it asks again. Its place in line is kept meanwhile (waiters are ordered by
 * due time), and it is woken sooner when a slot it may take comes back; asking again is the fallback for a wake-up
 * that went astray, so it stays well within the time a place is kept without asking (10 s).
 */
export const MAX_LIMIT_WAIT_MS = 5_000;

/**
 * How long a waiting attempt is put back in the queue before it asks again, at most MAX_LIMIT_WAIT_MS (so its place in
 * line stays kept): when a rate frees a start, if that is what it waits for (plus one window per `starts` ahead of it);
 * otherwise longer the further back in line it is (50 ms per
 * place), since the attempts next in line are woken when a slot comes back and the long tail need not ask often.
 */
export function limitWaitMs(refusal: LimitRefusal, rate: RateWindow | null, random: () => number = Math.random): number {
  const jitter = 1 + random() * 0.2;
  if (rate !== null && refusal.rateWaitMs > 0) {
    const ahead = Math.floor((refusal.behind - 1) / rate.starts) * rate.windowMs;
    return Math.min(MAX_LIMIT_WAIT_MS, Math.max(5, Math.round(refusal.rateWaitMs + ahead)));
  }
  return Math.round(Math.min(MAX_LIMIT_WAIT_MS, 50 * refusal.behind) * jitter);
}
