/**
 * A time as ISO 8601 in UTC to the second, and how far it is from now: `2026-12-03T09:00:00Z (in 3h)`. UTC because
 * the API speaks UTC and a task's runs are compared across machines; the relative part answers "when?" at a glance.
 */
export function formatTime(iso: string | null | undefined, now: Date): string {
  if (!iso) return '-';
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  return `${time.toISOString().replace(/\.\d{3}Z$/, 'Z')} (${relativeTime(time, now)})`;
}

/** `in 5m`, `3h ago`, `now`: the largest unit, rounded down. */
export function relativeTime(time: Date, now: Date): string {
  const deltaMs = time.getTime() - now.getTime();
  const seconds = Math.floor(Math.abs(deltaMs) / 1000);
  if (seconds < 1) return 'now';
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const [unit, size] = units.find(([, size]) => seconds >= size)!;
  const amount = `${Math.floor(seconds / size)}${unit}`;
  return deltaMs > 0 ? `in ${amount}` : `${amount} ago`;
}
