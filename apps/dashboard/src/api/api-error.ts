import type { ApiError } from '@punctual/client';

/** Where a 400 message names its field: `body/url must match format "uri"`, `querystring/cron must have 5 fields…`. */
const FIELD_PREFIX = /^(?:body|querystring|params)\/(\S+)\s/;

/** A request the API refused (4xx/5xx), or one that never got an answer (status 0). */
export class ApiRequestError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  /** The path the message names (`url`, `backoff/delayMs`, `headers/Host`), split on `/`; empty when it names none. */
  readonly fieldPath: readonly string[];

  constructor(status: number, body: unknown) {
    const error = isApiError(body) ? body : undefined;
    super(error?.message ?? (status === 0 ? 'The server did not answer: check your connection' : `The server answered ${status}`));
    this.name = 'ApiRequestError';
    this.status = status;
    this.code = error?.code;
    this.fieldPath = FIELD_PREFIX.exec(this.message)?.[1]?.split('/') ?? [];
  }
}

function isApiError(body: unknown): body is ApiError {
  return typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string';
}

/** The reply of one openapi-fetch call: `data` on success, `error` otherwise. */
interface ClientReply<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/**
 * The data of a successful call, or an `ApiRequestError` thrown, so TanStack Query sees failures as failures.
 * A network failure (fetch rejects) becomes status 0.
 */
export async function unwrap<D>(pending: Promise<ClientReply<D>>): Promise<D> {
  let reply: ClientReply<D>;
  try {
    reply = await pending;
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiRequestError(0, undefined);
  }
  if (reply.error !== undefined || !reply.response.ok) throw new ApiRequestError(reply.response.status, reply.error);
  return reply.data as D;
}

/** A message for any thrown value, for alerts and notifications. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
