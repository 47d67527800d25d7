import { toPostgresText } from './postgres-text.js';

const MAX_ERROR_LENGTH = 300;

// undici's own timers fire these when headersTimeout/bodyTimeout run out; they are the same deadline as ours.
const DEADLINE_ERROR_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The error string of an attempt that ran out of time. */
export function timeoutError(timeoutMs: number): string {
  return `timeout after ${timeoutMs} ms`;
}

/** True when `error` is undici reporting that the headers or body did not arrive in time. */
export function isUndiciDeadlineError(error: unknown): boolean {
  return error instanceof Error && DEADLINE_ERROR_CODES.has(errorCode(error) ?? '');
}

/**
 * Turns whatever a failed call threw into a short single-line string: the message when it already names
 * the code (Node's "connect ECONNREFUSED 127.0.0.1:4567", "getaddrinfo ENOTFOUND host"), else "<code> <message>".
 */
export function describeAttemptError(error: unknown): string {
  return toPostgresText(truncate(singleLine(describe(error))));
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Happy eyeballs (autoSelectFamily) rejects with an AggregateError whose own message is empty.
  if (error instanceof AggregateError && error.message === '' && error.errors.length > 0) {
    return [...new Set(error.errors.map(describe))].join('; ');
  }
  const code = errorCode(error);
  const message = openSslReason(error) ?? (error.message || error.name);
  if (code === undefined || message.includes(code)) return message;
  return `${code} ${message}`;
}

function errorCode(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

// OpenSSL messages carry an error queue dump ("80BC...:error:0A00010B:SSL routines:...:ssl3_record.c:350:");
// its `reason` ("wrong version number") is the part a user can act on.
function openSslReason(error: Error): string | undefined {
  const reason = (error as { reason?: unknown }).reason;
  return typeof reason === 'string' && reason !== '' && error.message.includes(':error:') ? reason : undefined;
}

function singleLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}
