import { describe, it, expect } from 'vitest';
import { parseRetryAfter } from '../src/index.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');

describe('parseRetryAfter', () => {
  const cases: { name: string; value: string | undefined; expected: number | null }[] = [
    { name: 'delta-seconds', value: '120', expected: 120_000 },
    { name: 'zero seconds', value: '0', expected: 0 },
    { name: 'delta-seconds with surrounding spaces', value: ' 5 ', expected: 5_000 },
    { name: 'IMF-fixdate in the future', value: 'Sun, 01 Mar 2026 12:00:30 GMT', expected: 30_000 },
    { name: 'IMF-fixdate in the past', value: 'Sun, 01 Mar 2026 11:59:00 GMT', expected: 0 },
    { name: 'IMF-fixdate with lower-case names', value: 'sun, 01 mar 2026 12:01:00 gmt', expected: 60_000 },
    { name: 'RFC 850 date with a two-digit year', value: 'Sunday, 01-Mar-26 12:00:10 GMT', expected: 10_000 },
    { name: 'asctime date, read as GMT', value: 'Sun Mar  1 12:00:20 2026', expected: 20_000 },
    { name: 'absent header', value: undefined, expected: null },
    { name: 'empty string', value: '', expected: null },
    { name: 'words', value: 'tomorrow', expected: null },
    { name: 'negative seconds', value: '-5', expected: null },
    { name: 'fractional seconds', value: '1.5', expected: null },
    { name: 'a date without its time zone', value: 'Sun, 01 Mar 2026 12:00:30', expected: null },
    { name: 'an impossible day', value: 'Thu, 31 Apr 2026 12:00:00 GMT', expected: null },
    { name: 'an ISO timestamp (not an HTTP-date)', value: '2026-03-01T12:00:30Z', expected: null },
  ];

  for (const { name, value, expected } of cases) {
    it(`reads ${name} (${JSON.stringify(value)}) as ${String(expected)}`, () => {
      expect(parseRetryAfter(value, NOW)).toBe(expected);
    });
  }

  it('reads an RFC 850 year more than 50 years ahead as the previous century', () => {
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', new Date('1994-11-06T08:49:00Z'))).toBe(37_000);
  });
});
