import { isDatabaseUnavailable } from '@punctual/db';
import {
  AccountGoneError,
  DatabaseUnavailableError,
  InternalError,
  isAccountGone,
  PunctualError,
  RouteNotFoundError,
  UnstorableValueError,
} from '@punctual/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DashboardPages } from './dashboard.js';

/**
 * The one place errors become responses: the contract's shape, the field named for a 4xx,
 * 503 with Retry-After while a dependency is away, and no internals (stack, SQL) in a 5xx.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(replyWithError);
}

/** The 404 of every unknown route, in the contract's shape, unless `pages` answers it (a browser's dashboard page). */
export function registerNotFound(app: FastifyInstance, pages: DashboardPages): void {
  app.setNotFoundHandler(
    async (request, reply) => pages(request, reply) ?? send(reply, new RouteNotFoundError(request.method, request.url.split('?')[0] ?? '')),
  );
}

/** The error handler itself, for code that answers an error where another handler rules (the Bull Board's routes). */
export function replyWithError(
  error: Error & Partial<Pick<FastifyError, 'validation' | 'statusCode' | 'code'>>,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error.validation) {
    return reply.status(400).send({ statusCode: 400, error: 'Bad Request', message: error.message, code: 'FST_ERR_VALIDATION' });
  }
  const status = error.statusCode ?? 500;
  // Fastify's own 4xx (a malformed body, a wrong content type, a body too large) keep their FST_ code.
  if (!(error instanceof PunctualError) && status >= 400 && status < 500) {
    return reply.status(status).send({ statusCode: status, error: statusText(status), message: error.message, code: error.code });
  }
  const known = toPunctualError(error);
  if (known instanceof DatabaseUnavailableError) {
    request.log.warn({ err: error }, 'database unavailable');
    reply.header('retry-after', String(known.retryAfterSeconds));
  } else if (known instanceof InternalError) {
    request.log.error({ err: error }, 'unhandled error');
  }
  return send(reply, known);
}

/** The registry's error for anything thrown: itself when it is one, else what it means for the client. */
function toPunctualError(error: unknown): PunctualError {
  if (error instanceof PunctualError) return error;
  // The domain raises AccountGoneError where it inserts a user's row; this also covers an insert that does not (yet).
  if (isAccountGone(error)) return new AccountGoneError();
  // A data exception from Postgres (class 22: out-of-range number, bad encoding) is the client's value.
  const pgCode = (error as { code?: unknown }).code;
  if (typeof pgCode === 'string' && /^22[0-9A-Z]{3}$/.test(pgCode)) return new UnstorableValueError();
  if (isDatabaseUnavailable(error)) return new DatabaseUnavailableError();
  return new InternalError();
}

function send(reply: FastifyReply, error: PunctualError): FastifyReply {
  return reply
    .status(error.statusCode)
    .send({ statusCode: error.statusCode, error: statusText(error.statusCode), message: error.message, code: error.code });
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

function statusText(status: number): string {
  return STATUS_TEXT[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request');
}
