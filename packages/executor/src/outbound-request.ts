import type { StatusCodeRule } from '@punctual/scheduling';
import type { WebhookSigning } from './webhook-signature.js';

/** Every method a task may use (the tasks table's CHECK constraint allows the same). */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** The outbound call of one attempt, with the final headers already chosen by the caller. */
export interface OutboundRequest {
  /** Absolute http(s) URL. */
  url: string;
  method: HttpMethod;
  /** Final headers (task headers, Authorization, Punctual-* ...). */
  headers: Record<string, string>;
  /** `undefined`/`null`: no body; a string is sent as is; any other JSON value is sent as JSON. */
  body?: unknown;
  /** One deadline for the whole attempt: DNS, connect, headers and reading the body. */
  timeoutMs: number;
  /** Which statuses count as success (the task's `successCodes`); absent: 2xx. */
  successCodes?: readonly StatusCodeRule[];
  /** Signs the call (Standard Webhooks headers) when present. */
  signing?: WebhookSigning;
}
