import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';

/** One message as the sink received it. */
export interface ReceivedEmail {
  /** The envelope sender (MAIL FROM). */
  from: string;
  /** The envelope recipients (RCPT TO). */
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** As sent, angle brackets included: `<id@punctual>`. */
  messageId: string;
  /** Header lines by lower-case name (the last one when repeated), values unfolded. */
  headers: Record<string, string>;
}

/** A local SMTP server that keeps what it receives, as a test's mail server. */
export interface SmtpSink {
  /** `smtp://127.0.0.1:<port>` */
  url: string;
  port: number;
  messages: ReceivedEmail[];
  /** Resolves with the messages once `count` have arrived; rejects after `timeoutMs` (default 10000). */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedEmail[]>;
  /**
   * Answers the next `count` (default 1) messages with the SMTP error `code` (e.g. 451, 550): at the end of DATA, or at
   * RCPT TO (one count per recipient) when `stage` is 'rcpt'. Rejected messages are not kept.
   */
  rejectNext(code: number, message: string, count?: number, stage?: 'data' | 'rcpt'): void;
  /** Stops listening and drops open connections (clients see the server go down); the port is free once it resolves. */
  stop(): Promise<void>;
  /** Listens again on the same port after stop(). */
  start(): Promise<void>;
  close(): Promise<void>;
}

interface Rejection {
  code: number;
  message: string;
  stage: 'data' | 'rcpt';
}

/**
 * Starts an SMTP sink on 127.0.0.1 (a free port, or `options.port`): no TLS, authentication optional (any login is
 * accepted), every message accepted unless rejectNext() says otherwise.
 */
export async function startSmtpSink(options: { port?: number } = {}): Promise<SmtpSink> {
  const messages: ReceivedEmail[] = [];
  const waiters = new Set<() => void>();
  const rejections: Rejection[] = [];
  let server: SMTPServer | null = null;
  let port = options.port ?? 0;

  const takeRejection = (stage: Rejection['stage']): Error | null => {
    const rejection = rejections[0];
    if (rejection?.stage !== stage) return null;
    rejections.shift();
    return Object.assign(new Error(rejection.message), { responseCode: rejection.code });
  };

  const receive = async (stream: SMTPServerDataStream, envelope: { from: string; to: string[] }): Promise<void> => {
    const parsed = await simpleParser(stream);
    const headers: Record<string, string> = {};
    for (const { key, line } of parsed.headerLines) {
      headers[key.toLowerCase()] = line
        .slice(line.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim();
    }
    messages.push({
      ...envelope,
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : '',
      messageId: parsed.messageId ?? '',
      headers,
    });
    for (const waiter of waiters) waiter();
  };

  const start = async (): Promise<void> => {
    if (server) throw new Error('SMTP sink: already started');
    const instance = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      // stop() drops connections (a 421, then close) after this instead of waiting for clients to quit.
      closeTimeout: 50,
      // Any login is accepted, so an SMTP_URL with credentials works against the sink too.
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        callback(null, { user: auth.username });
      },
      onRcptTo(_address, _session, callback) {
        callback(takeRejection('rcpt'));
      },
      onData(stream, session, callback) {
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
        };
        const rejection = takeRejection('data');
        if (rejection) {
          stream.on('end', () => callback(rejection)).resume();
          return;
        }
        receive(stream, envelope).then(
          () => callback(),
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      },
    });
    instance.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      instance.server.once('error', reject);
      instance.listen(port, '127.0.0.1', () => {
        instance.server.off('error', reject);
        resolve();
      });
    });
    port = (instance.server.address() as { port: number }).port;
    server = instance;
  };

  const stop = async (): Promise<void> => {
    const instance = server;
    if (!instance) return;
    server = null;
    await new Promise<void>((resolve) => instance.close(resolve));
  };

  await start();
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    waitForMessages(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (messages.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`SMTP sink: ${messages.length} of ${count} messages within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    rejectNext(code, message, count = 1, stage = 'data') {
      for (let i = 0; i < count; i++) rejections.push({ code, message, stage });
    },
    stop,
    start,
    close: stop,
  };
}
