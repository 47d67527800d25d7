import { isDatabaseUnavailable } from '@punctual/db';
import { AccountGoneError, isAccountGone, PunctualError } from '@punctual/core';
import type { FastifyError, FastifyInstance } from 'fastify';

/**
 * The one place errors become responses: the contract's shape, the field named for a 4xx,
 * 503 with Retry-After while a dependency is away, and no internals (stack, SQL) in a 5xx.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // The domain raises AccountGoneError where it inserts a user's row; this also covers an insert that does not (yet).
    const known = error instanceof PunctualError ? error : isAccountGone(error) ? new AccountGoneError() : null;
    if (known) {
      return reply
        .status(known.statusCode)
        .send({ statusCode: known.statusCode, error: statusText(known.statusCode), message: known.message, code: known.code });
    }
    if (error.validation) {
      return reply.status(400).send({ statusCode: 400, error: 'Bad Request', message: error.message, code: 'FST_ERR_VALIDATION' });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.status(status).send({ statusCode: status, error: statusText(status), message: error.message, code: error.code });
    }
    // A data exception from Postgres (class 22: out-of-range number, bad encoding) is the client's value.
    const pgCode = (error as { code?: unknown }).code;
    if (typeof pgCode === 'string' && /^22[0-9A-Z]{3}$/.test(pgCode)) {
      return reply.status(400).send({
        statusCode: 400,
        error: 'Bad Request',
        message: 'a value in the request cannot be stored',
        code: 'PUNCTUAL_UNSTORABLE_VALUE',
      });
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return reply.status(503).header('retry-after', '5').send({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'the database is not answering; try again shortly',
        code: 'PUNCTUAL_DATABASE_UNAVAILABLE',
      });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply
      .status(500)
      .send({ statusCode: 500, error: 'Internal Server Error', message: 'something went wrong on our side', code: 'PUNCTUAL_INTERNAL' });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      statusCode: 404,
      error: 'Not Found',
      message: `route ${request.method} ${request.url.split('?')[0]} not found`,
      code: 'PUNCTUAL_ROUTE_NOT_FOUND',
    }),
  );
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
