import { PunctualApiError } from '@punctual/client';

/** Where a 400 message names its field: `body/url must match format "uri"`, `querystring/cron must have 5 fields…`. */
const FIELD_PREFIX = /^(?:body|querystring|params)\/(\S+)\s/;

/** The path an API error names (`url`, `backoff/delayMs`, `headers/Host`), split on `/`; empty when it names none. */
export function fieldPathOf(error: unknown): string[] {
  if (!(error instanceof PunctualApiError)) return [];
  return FIELD_PREFIX.exec(error.message)?.[1]?.split('/') ?? [];
}

/** The HTTP status of an API error; undefined for anything else (a dropped connection). */
export function statusOf(error: unknown): number | undefined {
  return error instanceof PunctualApiError ? error.statusCode : undefined;
}

/** A message for any thrown value, for alerts and notifications. */
export function messageOf(error: unknown): string {
  if (error instanceof PunctualApiError) return error.message;
  // fetch rejects with a TypeError when no answer came back at all.
  if (error instanceof TypeError) return 'The server did not answer. Check your connection and try again.';
  return error instanceof Error ? error.message : String(error);
}

/**
 * What a field shows of an error: what is wrong with it ("must be >= 0"), the path it already stands for left out, but
 * a header's name kept ("Host is set by Punctual…"). The alert under the form keeps the whole message.
 */
export function fieldMessageOf(error: unknown): string {
  const message = messageOf(error);
  const [top, ...rest] = fieldPathOf(error);
  if (top === undefined) return message;
  const reason = message.replace(/^\S+\s/, '');
  return top === 'headers' && rest.length > 0 ? `${rest.join('/')} ${reason}` : reason;
}
