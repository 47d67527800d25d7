const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

// The three forms RFC 9110 §5.6.7 asks recipients to accept. `Date.parse` is not used: it accepts far more
// (e.g. "-5" or "1") and reads the asctime form in local time instead of GMT.
const IMF_FIXDATE = new RegExp(`^[a-z]{3}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} gmt$`, 'i');
const RFC_850 = new RegExp(`^[a-z]{6,9}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} gmt$`, 'i');
const ASCTIME = new RegExp(`^[a-z]{3} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`, 'i');

/**
 * Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime), or returns null for anything else.
 * `now` resolves RFC 850's two-digit year to the most recent matching year not more than 50 years ahead.
 */
export function parseHttpDate(value: string, now: Date): Date | null {
  const text = value.trim();
  let match = IMF_FIXDATE.exec(text);
  if (match) return buildDate(Number(match[3]), match[2], match[1], match[4], match[5], match[6]);

  match = RFC_850.exec(text);
  if (match) {
    const currentYear = now.getUTCFullYear();
    let year = Math.floor(currentYear / 100) * 100 + Number(match[3]);
    if (year > currentYear + 50) year -= 100;
    return buildDate(year, match[2], match[1], match[4], match[5], match[6]);
  }

  match = ASCTIME.exec(text);
  if (match) return buildDate(Number(match[6]), match[1], match[2], match[3], match[4], match[5]);

  return null;
}

function buildDate(
  year: number,
  monthName: string | undefined,
  dayText: string | undefined,
  hourText: string | undefined,
  minuteText: string | undefined,
  secondText: string | undefined,
): Date | null {
  const month = MONTHS.indexOf((monthName ?? '').toLowerCase());
  const day = Number(dayText);
  const hour = Number(hourText);
  const minute = Number(minuteText);
  // 60 is a leap second; Date has none, so it rolls into the next minute.
  const second = Number(secondText);
  if (month === -1 || hour > 23 || minute > 59 || second > 60) return null;
  // Rejects impossible days such as 31 Apr, which Date.UTC would silently roll over.
  const midnight = new Date(Date.UTC(year, month, day));
  if (midnight.getUTCMonth() !== month || midnight.getUTCDate() !== day) return null;
  return new Date(Date.UTC(year, month, day, hour, minute, second));
}
