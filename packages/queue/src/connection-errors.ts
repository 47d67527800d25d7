/** Socket-level failures: the queue's store is away (or unreachable), as opposed to a command it refused. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** ioredis's message for a command on a connection that went away. */
const CONNECTION_CLOSED = 'Connection is closed.';

/** Whether `error` says the queue's store does not answer (it comes back by itself), rather than a fault of ours. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) || error.message === CONNECTION_CLOSED;
}
