import { DEFAULT_SUCCESS_CODES, matchesStatusRules, type FailureKind } from '@punctual/scheduling';
import { request as undiciRequest, type Dispatcher } from 'undici';
import { describeAttemptError, isUndiciDeadlineError, timeoutError } from './attempt-error.js';
import { failedWithoutResponse, type AttemptResult } from './attempt-result.js';
import { isBlockedAddressError } from './blocked-address-error.js';
import { withClientSpan, withTraceContext } from './client-span.js';
import { createOutboundAgent } from './outbound-agent.js';
import type { OutboundRequest } from './outbound-request.js';
import { buildRequestPayload } from './request-payload.js';
import { captureResponseBody, flattenResponseHeaders } from './response-capture.js';
import { parseRetryAfter } from './retry-after.js';
import { parseTargetUrl } from './target-url.js';

export interface ExecutorOptions {
  /** How much of each response body to keep; 0 keeps nothing. */
  responseBodyLimitBytes: number;
  /** Sent as User-Agent unless the request sets one (e.g. "punctual/0.1.0"). */
  userAgent: string;
  /**
   * Let calls reach loopback, private, link-local … addresses (ALLOW_PRIVATE_TARGETS). Default false: the executor's
   * own Agent refuses them. Ignored with `dispatcher`, whose own connector decides.
   */
  allowPrivateTargets?: boolean;
  /** Where requests go; defaults to the executor's own Agent from `createOutboundAgent()`, closed by `close()`. */
  dispatcher?: Dispatcher;
}

export interface Executor {
  /** Makes the HTTP call of one attempt. Never throws: every failure is a `failed` result. */
  execute(request: OutboundRequest): Promise<AttemptResult>;
  /** Closes the executor's own Agent (a dispatcher passed in options belongs to the caller). */
  close(): Promise<void>;
}

// setTimeout cannot wait longer than this; a larger value would fire immediately.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Creates the executor of outbound calls: one undici request per attempt, under one deadline. */
export function createExecutor(options: ExecutorOptions): Executor {
  const ownAgent = options.dispatcher === undefined ? createOutboundAgent({ allowPrivateTargets: options.allowPrivateTargets }) : null;
  const dispatcher: Dispatcher = options.dispatcher ?? (ownAgent as Dispatcher);
  const limitBytes = Math.max(0, Math.floor(options.responseBodyLimitBytes));

  async function send(request: OutboundRequest): Promise<AttemptResult> {
    const startedAt = performance.now();
    const elapsedMs = (): number => Math.round(performance.now() - startedAt);
    const failed = (error: string, kind: Exclude<FailureKind, 'status'>): AttemptResult => failedWithoutResponse(error, elapsedMs(), kind);

    const { timeoutMs } = request;
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
      return failed(`ERR_INVALID_ARG timeoutMs must be between 1 and ${MAX_TIMEOUT_MS}, got ${timeoutMs}`, 'not-sent');
    }
    const target = parseTargetUrl(request.url);
    if (typeof target === 'string') return failed(target, 'not-sent');
    let payload: ReturnType<typeof buildRequestPayload>;
    try {
      payload = buildRequestPayload({ ...request, headers: withTraceContext(request.headers) }, options.userAgent);
    } catch (error) {
      return failed(describeAttemptError(error), 'not-sent');
    }

    // Our own timer rather than AbortSignal.timeout(): it is cleared as soon as the attempt ends, and its
    // reason is a value we can recognise whichever layer (connect, headers, body) it interrupted. The reason is made
    // only when the deadline passes: a DOMException captures a stack, a few per cent of a busy worker's CPU.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException(timeoutError(timeoutMs), 'TimeoutError')), timeoutMs);
    // Once the deadline has passed, whatever broke (abort, socket torn down) broke because of it.
    const timedOut = (error: unknown): boolean => deadline.signal.aborted || isUndiciDeadlineError(error);
    const errorOf = (error: unknown): string => (timedOut(error) ? timeoutError(timeoutMs) : describeAttemptError(error));
    // What retryOn tells apart: the deadline, a refusal before anything was sent (the guard's, or undici's of a request
    // it cannot send), anything else on the way.
    const kindOf = (error: unknown): Exclude<FailureKind, 'status' | 'lost'> =>
      timedOut(error) ? 'timeout' : isBlockedAddressError(error) || isInvalidRequestError(error) ? 'not-sent' : 'network';

    try {
      let response: Dispatcher.ResponseData;
      try {
        response = await undiciRequest(target, {
          dispatcher,
          method: request.method,
          headers: payload.headers,
          body: payload.body,
          signal: deadline.signal,
          // undici's own timers are only a backstop: they restart per phase, the deadline does not.
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
      } catch (error) {
        return failed(errorOf(error), kindOf(error));
      }

      const { statusCode } = response;
      const responseHeaders = flattenResponseHeaders(response.headers);
      const retryAfterMs = statusCode === 429 || statusCode === 503 ? parseRetryAfter(responseHeaders['retry-after'], new Date()) : null;
      const body = await captureResponseBody(response.body, limitBytes, declaredBodyLength(request, response));

      const statusMatched = matchesStatusRules(statusCode, request.successCodes ?? DEFAULT_SUCCESS_CODES);
      const succeeded = statusMatched && body.error === undefined;
      // A status outside successCodes is the reason the attempt failed, even if its body then broke off.
      const failure = succeeded ? null : statusMatched ? kindOf(body.error) : 'status';
      const error = succeeded ? null : statusMatched ? errorOf(body.error) : `HTTP ${statusCode}`;
      return {
        outcome: succeeded ? 'succeeded' : 'failed',
        failure,
        statusCode,
        durationMs: elapsedMs(),
        error,
        responseHeaders,
        responseBody: body.text,
        responseTruncated: body.truncated,
        retryAfterMs,
      };
    } catch (error) {
      // Unreachable by design (captureResponseBody does not throw); kept so execute() keeps its promise.
      return failed(errorOf(error), kindOf(error));
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    execute: (request) => withClientSpan(request, () => send(request)),
    async close() {
      await ownAgent?.close();
    },
  };
}

/** undici refused the request itself (an invalid header, say) before sending anything. */
function isInvalidRequestError(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === 'UND_ERR_INVALID_ARG';
}

/** The body size the response announces, when it has a body at all (HEAD, 204 and 304 do not). */
function declaredBodyLength(request: OutboundRequest, response: Dispatcher.ResponseData): number | null {
  if (request.method === 'HEAD' || response.statusCode === 204 || response.statusCode === 304) return null;
  const value = response.headers['content-length'];
  const length = typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isSafeInteger(length) && length >= 0 ? length : null;
}
