/**
 * Parses CORS_ORIGINS: comma-separated `scheme://host[:port]` origins, returned in the form browsers send in `Origin`.
 * Throws a message (without the value) naming the first entry that is not an origin.
 */
export function parseCorsOrigins(text: string | undefined): string[] {
  if (text === undefined) return [];
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return entries.map((entry, index) => {
    let origin: string | null = null;
    try {
      const url = new URL(entry);
      // An origin has no path, query or credentials: "https://app.example.com/" is the same origin, "…/app" is not one.
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.pathname === '/' && !url.search && !url.hash && !url.username) {
        origin = url.origin;
      }
    } catch {
      origin = null;
    }
    if (origin === null) {
      throw new Error(`entry ${index + 1} is not an origin such as https://app.example.com`);
    }
    return origin;
  });
}
