import { parseHttpDate } from './http-date.js';

const DELTA_SECONDS = /^\d+$/;

/**
 * Reads a Retry-After header value as milliseconds from `now`: delta-seconds ("120" → 120000) or an HTTP-date
 * (never negative: a date in the past means "now"). Returns null when absent or unparseable.
 */
export function parseRetryAfter(value: string | undefined, now: Date): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (DELTA_SECONDS.test(text)) return Math.min(Number(text) * 1000, Number.MAX_SAFE_INTEGER);
  const date = parseHttpDate(text, now);
  if (date === null) return null;
  return Math.max(0, date.getTime() - now.getTime());
}
