import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * Fastify's two lines per request ("incoming request", "request completed"), word for word, written by a child of
 * the app's logger that skips pino's `redact`. Those lines hold only Fastify's serialized `req` (method, url, version,
 * host, remoteAddress, remotePort), `res` (statusCode), `reqId` and `responseTime`, none of which a redact path names,
 * so their text is unchanged; but with `*.field` paths pino ran every one of their values through the redactor, for
 * nothing (before the @pinojs/redact patch, more than half of what the two lines cost). Every other line,
 * `request.log`'s included, is still redacted; the errored and error lines (which carry `err`) stay Fastify's own.
 */
export class RequestLogController extends LogController {
  #lines: FastifyBaseLogger | undefined;

  /** Call once the app exists: the lines are written through a child of its logger (Fastify's serializers and all). */
  attach(appLog: FastifyBaseLogger): void {
    // An empty redact list replaces the parent's; bindings stay the parent's, so each line reads as request.log's would.
    this.#lines = appLog.child({}, { redact: { paths: [] } });
  }

  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    // A request logger of another level (a route's logLevel) gets Fastify's own line.
    if (this.#lines === undefined || request.log.level !== this.#lines.level) return super.incomingRequest(request, reply);
    if (this.isLogDisabled(request)) return;
    this.#lines.info({ [this.requestIdLogLabel]: request.id, req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.#lines === undefined || error || reply.log.level !== this.#lines.level) return super.requestCompleted(error, request, reply);
    if (this.isLogDisabled(request)) return;
    this.#lines.info({ [this.requestIdLogLabel]: request.id, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
