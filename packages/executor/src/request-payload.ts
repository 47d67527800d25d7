import type { OutboundRequest } from './outbound-request.js';

/** The headers and body undici is given for one attempt. */
export interface RequestPayload {
  headers: Record<string, string>;
  body: string | undefined;
}

/**
 * Encodes the attempt's body and completes its headers: a string body goes as text/plain, any other JSON value
 * as application/json, and User-Agent defaults to `userAgent` — each only where the caller set none.
 * HEAD never carries a body. Throws when the body cannot be serialised (e.g. a BigInt).
 */
export function buildRequestPayload(request: OutboundRequest, userAgent: string): RequestPayload {
  const headers = { ...request.headers };
  const present = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  if (!present.has('user-agent')) headers['user-agent'] = userAgent;

  if (request.method === 'HEAD' || request.body === undefined || request.body === null) {
    return { headers, body: undefined };
  }

  const isText = typeof request.body === 'string';
  const body = isText ? (request.body as string) : JSON.stringify(request.body);
  // JSON.stringify returns undefined for functions and symbols: nothing a JSON column could have held.
  if (typeof body !== 'string') throw new TypeError(`cannot send a ${typeof request.body} as a request body`);
  if (!present.has('content-type')) {
    headers['content-type'] = isText ? 'text/plain; charset=utf-8' : 'application/json';
  }
  return { headers, body };
}
