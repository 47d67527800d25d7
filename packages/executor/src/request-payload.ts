import type { OutboundRequest } from './outbound-request.js';
import { webhookHeaders } from './webhook-signature.js';

/** The headers and body undici is given for one attempt. */
export interface RequestPayload {
  headers: Record<string, string>;
  body: string | undefined;
}

/**
 * Encodes the attempt's body and completes its headers: a string body goes as text/plain, any other JSON value
 * as application/json, and User-Agent defaults to `userAgent` — each only where the caller set none. A request with
 * `signing` gets the Standard Webhooks headers, signing the body exactly as sent (the empty string for none) at `now`.
 * HEAD never carries a body. Throws when the body cannot be serialised (e.g. a BigInt).
 */
export function buildRequestPayload(request: OutboundRequest, userAgent: string, now = new Date()): RequestPayload {
  const headers = { ...request.headers };
  const present = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  if (!present.has('user-agent')) headers['user-agent'] = userAgent;
  const body = encodeBody(request);
  if (body !== undefined && !present.has('content-type')) {
    headers['content-type'] = typeof request.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  }
  if (request.signing) Object.assign(headers, webhookHeaders(request.signing, body ?? '', now));
  return { headers, body };
}

function encodeBody(request: OutboundRequest): string | undefined {
  if (request.method === 'HEAD' || request.body === undefined || request.body === null) return undefined;
  const body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
  // JSON.stringify returns undefined for functions and symbols: nothing a JSON column could have held.
  if (typeof body !== 'string') throw new TypeError(`cannot send a ${typeof request.body} as a request body`);
  return body;
}
