import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { LogFormat, LogLevel } from '@punctual/config';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { isSensitiveHeader, REDACTED } from './task-input.js';

/** Field names whose values are credentials wherever they appear in a log line (top level or one level down). */
const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'token',
  'password',
  'currentPassword',
  'newPassword',
  'secret',
  'secrets',
  'signingSecret',
  'signingSecrets',
  'secretsKey',
  'secretsKeyPrevious',
  'jwtSecret',
  'apiKey',
];

/**
 * pino `redact` paths: the secret fields at the top and one level down, and the credential headers of a request or
 * response (Fastify's `req`/`res`). A second line of defence: the first is that no log call passes an object holding a
 * secret (a task row, a request body, a config).
 */
export const REDACTED_LOG_PATHS: readonly string[] = [
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/** Any `headers` object in a line keeps its names but loses the values of sensitive ones (the task rule, by name). */
function redactHeaders(headers: unknown): unknown {
  if (headers === null || typeof headers !== 'object') return headers;
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, isSensitiveHeader(name) ? REDACTED : value]));
}

export interface LoggerOptions {
  /** The process: `punctual-api`, `punctual-worker`. */
  name: string;
  level: LogLevel;
  /** `json`: one JSON object per line on stdout; `pretty`: pino-pretty (loaded only then), for people. */
  format: LogFormat;
  /** Fields on every line (the worker's `workerId`); replaces pino's default `pid` and `hostname`. */
  base?: Record<string, unknown>;
}

/**
 * The one logger factory of Punctual's processes: pino with the redaction above, JSON lines or pretty. `destination`
 * (JSON only) lets a test read the lines the process would write.
 */
export function createLogger(options: LoggerOptions, destination?: DestinationStream): PinoLogger {
  const common = {
    name: options.name,
    level: options.level,
    ...(options.base ? { base: options.base } : {}),
    redact: { paths: [...REDACTED_LOG_PATHS], censor: REDACTED },
    serializers: { headers: redactHeaders },
  };
  if (options.format === 'pretty' && destination === undefined) {
    // Resolved from here, so the transport's worker thread finds pino-pretty wherever the app is installed.
    const target = createRequire(import.meta.url).resolve('pino-pretty');
    return pino({ ...common, transport: { target, options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino(common, destination ?? stdoutDestination());
}

/**
 * stdout, written asynchronously and once per turn of the event loop: the lines logged during one turn (under load,
 * those of many requests or attempts) go out together in one write when the turn ends, and while a write is under way
 * the lines of the next turns gather behind it. One write per line was ~8 % of a busy worker's CPU, and the API's two
 * request lines still cost a write each when writes completed between requests. No timer and no minimum: an idle
 * process's line goes out at the end of the turn that logged it. What is left is written when the process exits; a
 * process killed with SIGKILL loses at most the lines of the write under way and of the turn it was in.
 */
function stdoutDestination(): DestinationStream {
  const stdout = pino.destination({ dest: 1, sync: false });
  // Looked up at each call: on EPIPE pino swaps the destination's methods for no-ops.
  return linesPerTurn({ fd: 1, write: (data) => stdout.write(data), flushSync: () => stdout.flushSync() });
}

/** What `linesPerTurn` writes to: pino's asynchronous destination (sonic-boom) and its file descriptor. */
export interface TurnTarget {
  readonly fd: number;
  write(data: string): unknown;
  flushSync(): void;
}

/** A destination that hands `target` the lines of each event-loop turn in one write (see `stdoutDestination`). */
export function linesPerTurn(target: TurnTarget): DestinationStream {
  let pending = '';
  const writePending = (): void => {
    const lines = pending;
    pending = '';
    target.write(lines);
  };
  // At exit nothing asynchronous completes: what the target holds goes out first (pino flushes it too), then the last
  // turn's lines, synchronously, in order.
  process.on('exit', () => {
    if (pending === '') return;
    try {
      target.flushSync();
      writeAllSync(target.fd, pending);
    } catch {
      // stdout is gone (EPIPE): nothing can be written any more.
    }
    pending = '';
  });
  return {
    write(line: string) {
      if (pending === '') setImmediate(writePending);
      pending += line;
    },
  };
}

/** Writes all of `data`, waiting out a full non-blocking pipe (EAGAIN) as sonic-boom's own flushSync does. */
function writeAllSync(fd: number, data: string): void {
  let rest = Buffer.from(data);
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}
