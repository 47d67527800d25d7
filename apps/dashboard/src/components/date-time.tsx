import { Tooltip } from '@mantine/core';

/** Times are shown in the viewer's zone and language; the exact instant is in the tooltip and in `dateTime`. */
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

export function formatDateTime(value: string | Date): string {
  return absolute.format(typeof value === 'string' ? new Date(value) : value);
}

/** "in 5 min", "3 hr ago", "now": the largest unit that fits. */
export function formatRelative(value: string | Date, now = Date.now()): string {
  const delta = (typeof value === 'string' ? Date.parse(value) : value.getTime()) - now;
  for (const [unit, size] of UNITS) {
    if (Math.abs(delta) >= size || unit === 'second') {
      return Math.abs(delta) < 1000 ? 'now' : relative.format(Math.trunc(delta / size), unit);
    }
  }
  return '';
}

/** "41 ms", "1.25 s", "3 min 4 s", "1 h", "2 d 3 h": two units at most. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1000],
  ];
  const first = units.findIndex(([, size]) => ms >= size);
  const [bigName, bigSize] = units[first]!;
  const [smallName, smallSize] = units[first + 1]!;
  const big = Math.floor(ms / bigSize);
  const small = Math.round((ms % bigSize) / smallSize);
  return small === 0 ? `${big} ${bigName}` : `${big} ${bigName} ${small} ${smallName}`;
}

/** An instant as relative text ("in 5 min") or absolute text, with the other in its tooltip; "—" for none. */
export function DateTime({ value, relative: showRelative = false }: { value: string | null | undefined; relative?: boolean }) {
  if (!value) return <span aria-label="none">—</span>;
  const full = formatDateTime(value);
  return (
    <Tooltip label={showRelative ? full : formatRelative(value)} openDelay={300}>
      <time dateTime={value}>{showRelative ? formatRelative(value) : full}</time>
    </Tooltip>
  );
}
