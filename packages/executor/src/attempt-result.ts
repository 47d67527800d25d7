/** What one attempt produced, ready to be stored in Postgres (no NUL characters anywhere). */
export interface AttemptResult {
  /** `succeeded` iff a 2xx status arrived and the body was read within the deadline. */
  outcome: 'succeeded' | 'failed';
  /** `null` when no response arrived. */
  statusCode: number | null;
  /** Whole milliseconds from the start of `execute` to its result. */
  durationMs: number;
  /** `null` on success; `HTTP 503`, `timeout after 10000 ms`, `connect ECONNREFUSED 127.0.0.1:4567`, ... otherwise. */
  error: string | null;
  /** Lower-case names; repeated headers joined with ", "; `{}` when no response arrived. */
  responseHeaders: Record<string, string>;
  /** The first `responseBodyLimitBytes` bytes decoded as UTF-8; `null` when no response arrived. */
  responseBody: string | null;
  /** True when the body was longer than the limit. */
  responseTruncated: boolean;
  /** On 429 and 503 only: the Retry-After header as milliseconds from now (>= 0); otherwise `null`. */
  retryAfterMs: number | null;
}

/** The result of an attempt that got no response: refused before sending, a connection error, a timeout, a lost worker. */
export function failedWithoutResponse(error: string, durationMs: number): AttemptResult {
  return {
    outcome: 'failed',
    statusCode: null,
    durationMs,
    error,
    responseHeaders: {},
    responseBody: null,
    responseTruncated: false,
    retryAfterMs: null,
  };
}
