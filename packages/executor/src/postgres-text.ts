/**
 * Makes a string storable in Postgres `text`/`jsonb`, which reject the NUL character:
 * each `\u0000` becomes `\uFFFD`, as a decoder would render any other unusable byte.
 */
export function toPostgresText(value: string): string {
  return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
}
