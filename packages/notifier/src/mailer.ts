import type { NodemailerError } from 'nodemailer';
import type { EmailMessage } from './email-facts.js';

/** Sends outcome emails through one SMTP server, over a small pool of reused connections. */
export interface Mailer {
  /** Resolves once the server accepted the message; rejects with an EmailDeliveryError saying what went wrong. */
  send(message: EmailMessage): Promise<void>;
  /** Closes the pooled connections; messages in flight fail. */
  close(): void;
}

export interface MailerOptions {
  /** `smtp://[user:pass@]host[:port]` (STARTTLS when the server offers it) or `smtps://` (TLS from the start). */
  smtpUrl: string;
  /** The From of every message (EMAIL_FROM). */
  from: string;
  /**
   * Bound on each wait: connecting, the server's greeting, and any silence once connected (default 15 s), so a hung
   * server fails a delivery within about three times this instead of holding it.
   */
  timeoutMs?: number;
}

export const DEFAULT_SMTP_TIMEOUT_MS = 15_000;

/** Why an email was not sent, with the SMTP reply when the server gave one; never names the SMTP password. */
export class EmailDeliveryError extends Error {
  override name = 'EmailDeliveryError';
  /** Nodemailer's code (ECONNECTION, ETIMEDOUT, EENVELOPE, EMESSAGE, EAUTH…) when it gave one. */
  readonly code: string | null;
  /** The SMTP reply code, when the server answered with an error. */
  readonly responseCode: number | null;
  /** The server refused this message for good (a 5xx reply other than 503): sending it again gets the same answer. */
  readonly permanent: boolean;
  /**
   * What the task's owner is told (the notification's `lastError`): the server's reply to this message when it refused
   * it, else only that the mail server did not take it. Never the server's address or login: those are the operator's.
   */
  readonly forOwner: string;

  constructor(message: string, details: { code: string | null; responseCode: number | null; forOwner?: string }) {
    super(message);
    this.code = details.code;
    this.responseCode = details.responseCode;
    this.forOwner = details.forOwner ?? 'the mail server did not take the message (the operator has the details)';
    this.permanent = details.responseCode !== null && isPermanentResponseCode(details.responseCode);
  }
}

/**
 * Creates a Mailer for `smtpUrl`. Nothing connects until the first send. Settings in the URL's query
 * (`?greetingTimeout=…`, `?tls.rejectUnauthorized=false`) are nodemailer's and win over these.
 */
export function createMailer(options: MailerOptions): Mailer {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
  const server = describeServer(options.smtpUrl);
  const secrets = secretsOf(options.smtpUrl);
  // Loaded with the first mailer, not with the package: a worker without SMTP_URL never holds nodemailer's code.
  const transport = import('nodemailer').then(({ default: nodemailer }) =>
    nodemailer.createTransport({
      pool: true,
      url: options.smtpUrl,
      maxConnections: 5,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      dnsTimeout: timeoutMs,
      // Pooled connections idle out well before a server's own timeout would cut one mid-message.
      idleTimeout: 60_000,
      // Connections the server drops before greeting are retried this many times, not forever.
      maxRequeues: 2,
      logger: false,
    }),
  );
  // A failure to load surfaces on the first send.
  transport.catch(() => {});

  return {
    async send(message) {
      try {
        await (
          await transport
        ).sendMail({
          from: options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          messageId: `<${message.id}@punctual>`,
        });
      } catch (error) {
        throw toDeliveryError(error, server, timeoutMs, secrets);
      }
    },
    close() {
      void transport.then((open) => open.close()).catch(() => {});
    },
  };
}

/**
 * Whether retrying a failed send is hopeless: the server refused the message or its recipient with a permanent SMTP
 * reply (5xx other than 503). Network errors, timeouts and 4xx replies are worth another try.
 */
export function isPermanentEmailFailure(error: unknown): boolean {
  if (error instanceof EmailDeliveryError) return error.permanent;
  const responseCode = (error as NodemailerError | null)?.responseCode;
  return typeof responseCode === 'number' && isPermanentResponseCode(responseCode);
}

/** RFC 5321: 5yz replies are permanent; 503 (bad sequence of commands) is about the session, not the message. */
function isPermanentResponseCode(code: number): boolean {
  return code >= 500 && code < 600 && code !== 503;
}

function toDeliveryError(error: unknown, server: string, timeoutMs: number, secrets: string[]): EmailDeliveryError {
  const cause = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as NodemailerError;
  const code = cause.code ?? null;
  const responseCode = typeof cause.responseCode === 'number' ? cause.responseCode : null;
  const reply = (cause.response ?? '').trim();
  let message: string;
  if (code === 'ETIMEDOUT') {
    message = `SMTP server at ${server} timed out: ${TIMEOUT_WAITS[cause.timeoutType ?? ''] ?? 'no answer'} within ${timeoutMs} ms`;
  } else if (cause.originalCode === 'ECONNREFUSED' || /ECONNREFUSED/.test(cause.message)) {
    message = `SMTP server at ${server} refused the connection (nothing listens there?)`;
  } else if (code === 'EDNS' || cause.originalCode === 'ENOTFOUND') {
    message = `SMTP server at ${server} could not be resolved: ${cause.message}`;
  } else if (code === 'EAUTH' || code === 'ENOAUTH') {
    message = `SMTP server at ${server} refused the login: ${reply || cause.message}`;
  } else if (responseCode !== null) {
    const command = cause.command ? ` to ${cause.command.split(' ')[0]}` : '';
    message = `SMTP server at ${server} refused the message${command}: ${reply || cause.message}`;
    const forOwner = redact(`the mail server refused the message${command}: ${reply || `SMTP ${responseCode}`}`, secrets);
    return new EmailDeliveryError(redact(message, secrets), { code, responseCode, forOwner });
  } else if (code === 'ECONNECTION' || code === 'ESOCKET') {
    message = `SMTP server at ${server} closed the connection: ${cause.message}`;
  } else {
    message = `Sending the email through ${server} failed: ${cause.message}`;
  }
  return new EmailDeliveryError(redact(message, secrets), { code, responseCode });
}

const TIMEOUT_WAITS: Record<string, string> = {
  CONNECT_TIMEOUT: 'no connection',
  GREETING_TIMEOUT: 'no greeting',
  UPGRADE_TIMEOUT: 'no TLS handshake',
  SOCKET_TIMEOUT: 'no answer',
};

/** `host:port` as nodemailer dials it (587 for smtp://, 465 for smtps://, unless the URL names a port). */
function describeServer(smtpUrl: string): string {
  try {
    const url = new URL(smtpUrl);
    const port = url.port || (url.protocol === 'smtps:' ? '465' : '587');
    return `${url.hostname}:${port}`;
  } catch {
    return 'SMTP_URL (unparsable)';
  }
}

/** The URL's password, as written and decoded, to strip from any message that might echo it. */
function secretsOf(smtpUrl: string): string[] {
  try {
    const { password } = new URL(smtpUrl);
    if (password === '') return [];
    return [...new Set([password, decodeURIComponent(password)])].filter((secret) => secret.length > 0);
  } catch {
    return [];
  }
}

function redact(message: string, secrets: string[]): string {
  return secrets.reduce((text, secret) => text.split(secret).join('***'), message);
}
