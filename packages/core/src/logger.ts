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
 * stdout, written asynchronously: while one write is under way the next lines gather and go out together, so a worker
 * logging every attempt makes a few writes a second instead of one blocking write per line (that and formatting were
 * ~8 % of a busy worker's CPU). No timer and no minimum: an idle process's line goes out at once. pino flushes what is
 * left when the process exits; a process killed with SIGKILL loses at most the lines of the write under way.
 */
function stdoutDestination(): DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}
