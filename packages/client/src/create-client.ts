import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema.js';

/** Every route of the API, typed by path and method: `client.GET('/api/v1/tasks/{id}', { params: { path: { id } } })`. */
export type PunctualClient = Client<paths>;

/** The error body of every 4xx and 5xx: the field at fault is named first in `message` (`body/url must match …`). */
export type ApiError = components['schemas']['ErrorResponse'];

export interface PunctualClientOptions {
  /** Where the API is, e.g. `https://punctual.example.com` (the paths carry `/api/v1`). */
  baseUrl: string;
  /**
   * A session JWT or an API key (`pk_…`), sent as `Authorization: Bearer`; or a function asked before every request
   * (a dashboard's session that can end), where null or undefined sends none.
   */
  token?: string | (() => string | null | undefined);
  /** Another fetch (tests, proxies); the global one by default. */
  fetch?: typeof globalThis.fetch;
  /** Headers sent with every request (a User-Agent, say). */
  headers?: Record<string, string>;
}

/**
 * A client for Punctual's HTTP API: openapi-fetch (a thin layer over fetch, ~6 KiB) over the types openapi-typescript
 * generated from the API's OpenAPI document. Each call resolves to `{ data, error, response }` and never throws for an
 * HTTP status; `unwrap` turns an error answer into a thrown `PunctualApiError`.
 */
export function createPunctualClient(options: PunctualClientOptions): PunctualClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  });
  const { token } = options;
  if (token !== undefined) {
    client.use({
      onRequest({ request }) {
        const value = typeof token === 'function' ? token() : token;
        if (value) request.headers.set('authorization', `Bearer ${value}`);
        return request;
      },
    });
  }
  return client;
}

/** An error answer from the API, thrown by `unwrap`: the status, the contract's error body and the response itself. */
export class PunctualApiError extends Error {
  readonly statusCode: number;
  /** The stable code of the error registry, when the API sent one (`TASK_NOT_FOUND`, …). */
  readonly code: string | undefined;
  readonly body: unknown;
  readonly response: Response;

  constructor(response: Response, body: unknown) {
    const error = isApiError(body) ? body : undefined;
    super(error?.message ?? `${response.status} ${response.statusText}`.trim());
    this.name = 'PunctualApiError';
    this.statusCode = response.status;
    this.code = error?.code;
    this.body = body;
    this.response = response;
  }
}

/** The data of an answer, or a thrown `PunctualApiError`: `const task = await unwrap(client.GET(…))`. */
export async function unwrap<Data>(call: Promise<{ data?: Data; error?: unknown; response: Response }>): Promise<Data> {
  const { data, error, response } = await call;
  if (!response.ok || error !== undefined) throw new PunctualApiError(response, error);
  return data as Data;
}

function isApiError(body: unknown): body is ApiError {
  return typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string';
}
