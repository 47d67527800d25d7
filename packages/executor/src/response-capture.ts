import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { toPostgresText } from './postgres-text.js';

/** What was kept of a response body, and how reading it ended. */
export interface CapturedBody {
  /** The first bytes of the body (at most the limit) decoded as UTF-8, NUL-free. */
  text: string;
  /** True when the body was longer than the limit. */
  truncated: boolean;
  /** Set when reading failed before the end (deadline, reset ...); `text` then holds what arrived. */
  error: unknown;
}

/**
 * Streams a response body, keeping at most `limitBytes`. Once the limit is passed the body is destroyed,
 * which makes undici close the connection, so a huge response costs one chunk of memory, not its size.
 * Never throws: a read error is returned with the bytes received before it.
 */
export async function captureResponseBody(body: Readable, limitBytes: number, declaredLength: number | null): Promise<CapturedBody> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let truncated = false;
  let error: unknown = undefined;

  // With a Content-Length above the limit there is no need to read one chunk past it to know.
  const announcedLonger = (): boolean => declaredLength !== null && declaredLength > limitBytes && keptBytes === limitBytes;

  // undici's body emits RequestAbortedError when destroyed before its end; that is our choice, not a failure.
  body.on('error', ignoreError);

  try {
    if (announcedLonger()) {
      truncated = true;
    } else {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        const room = limitBytes - keptBytes;
        if (chunk.length > room) {
          if (room > 0) kept.push(chunk.subarray(0, room));
          keptBytes += room;
          truncated = true;
          break;
        }
        kept.push(chunk);
        keptBytes += chunk.length;
        if (announcedLonger()) {
          truncated = true;
          break;
        }
      }
    }
  } catch (readError) {
    error = readError;
  } finally {
    // No-op after a complete read; otherwise stops the transfer instead of draining the rest.
    body.destroy();
  }

  // A cut can split a multi-byte character; streaming decode drops the incomplete tail instead of showing U+FFFD.
  const text = new TextDecoder('utf-8').decode(Buffer.concat(kept, keptBytes), { stream: truncated || error !== undefined });
  return { text: toPostgresText(text), truncated, error };
}

/** Response headers as one string per lower-case name, repeated values joined with ", ", NUL-free. */
export function flattenResponseHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat.push([toPostgresText(name.toLowerCase()), toPostgresText(Array.isArray(value) ? value.join(', ') : value)]);
  }
  // fromEntries defines own properties, so even a header named "__proto__" is kept as data.
  return Object.fromEntries(flat);
}

function ignoreError(): void {}
