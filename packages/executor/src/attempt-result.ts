import type { AttemptResponse, FailureKind } from '@punctual/scheduling';

/** What one attempt produced, ready to be stored in Postgres (no NUL characters anywhere). */
export interface AttemptResult extends AttemptResponse {
  /** On 429 and 503 only: the Retry-After header as milliseconds from now (>= 0); otherwise `null`. */
  retryAfterMs: number | null;
}

/**
 * The result of an attempt that got no response: refused before sending (`not-sent`), a connection error (`network`), a
 * timeout, a lost worker (`lost`).
 */
export function failedWithoutResponse(error: string, durationMs: number, failure: Exclude<FailureKind, 'status'>): AttemptResult {
  return {
    outcome: 'failed',
    failure,
    statusCode: null,
    durationMs,
    error,
    responseHeaders: {},
    responseBody: null,
    responseTruncated: false,
    retryAfterMs: null,
  };
}
