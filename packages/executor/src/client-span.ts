import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { AttemptResult } from './attempt-result.js';
import type { OutboundRequest } from './outbound-request.js';

const tracer = trace.getTracer('punctual-executor');

/**
 * Runs one outbound call inside an HTTP client span (method, the target's origin only, status code), the
 * span active so that `withTraceContext` can name it in the request's `traceparent`. Without tracing the API is a no-op.
 */
export async function withClientSpan(request: OutboundRequest, send: () => Promise<AttemptResult>): Promise<AttemptResult> {
  const span = tracer.startSpan(request.method, { kind: SpanKind.CLIENT, attributes: requestAttributes(request) });
  try {
    const result = await context.with(trace.setSpan(context.active(), span), send);
    recordResult(span, result);
    return result;
  } finally {
    span.end();
  }
}

/**
 * The headers with the active span's W3C `traceparent` (and `tracestate`) added when tracing is on. A task that sets
 * its own `traceparent` keeps it, and then gets no `tracestate` of ours either: its headers are what it asked us to send.
 * These headers are not signed (Standard Webhooks signs id, timestamp and body), so adding them changes no signature.
 */
export function withTraceContext(headers: Record<string, string>): Record<string, string> {
  if (Object.keys(headers).some((name) => name.toLowerCase() === 'traceparent')) return headers;
  const added: Record<string, string> = {};
  propagation.inject(context.active(), added);
  return Object.keys(added).length === 0 ? headers : { ...headers, ...added };
}

/**
 * Only the target's origin is recorded (`url.full` = scheme://host[:port], with `url.scheme`, `server.address`,
 * `server.port`), never its path, query, fragment or credentials: common webhook URLs carry their secret in the path
 * (Slack `/services/T…/B…/<secret>`, Discord `/api/webhooks/<id>/<token>`, Telegram `/bot<token>/…`), and a trace
 * backend is rarely guarded like the database that seals them. The task id on the attempt's span finds the rest.
 */
function requestAttributes(request: OutboundRequest): Record<string, string | number> {
  const attributes: Record<string, string | number> = { 'http.request.method': request.method };
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return attributes;
  }
  attributes['url.full'] = url.origin;
  attributes['url.scheme'] = url.protocol.replace(/:$/, '');
  attributes['server.address'] = url.hostname.replace(/^\[|\]$/g, '');
  attributes['server.port'] = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  return attributes;
}

function recordResult(span: Span, result: AttemptResult): void {
  if (result.statusCode !== null) span.setAttribute('http.response.status_code', result.statusCode);
  if (result.outcome === 'succeeded') return;
  // A bounded error.type: the status code, or the error's code (ECONNREFUSED, UND_ERR_…), never its free text.
  const code = /\b(E[A-Z]{3,}|UND_ERR_[A-Z_]+|ERR_[A-Z_]+)\b/.exec(result.error ?? '')?.[1];
  const errorType =
    result.statusCode !== null && (result.statusCode < 200 || result.statusCode >= 300)
      ? String(result.statusCode)
      : ((result.error?.startsWith('timeout') ? 'timeout' : code) ?? '_OTHER');
  span.setAttribute('error.type', errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, ...(result.error ? { message: result.error } : {}) });
}
