import { startSilentServer, startSmtpSink, type SmtpSink } from '@punctual/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmailMessage } from '../src/email-facts.js';
import { createMailer, EmailDeliveryError, isPermanentEmailFailure, type Mailer } from '../src/mailer.js';

const FROM = 'punctual@example.test';

function message(id: string, to = 'owner@example.test'): EmailMessage {
  return { to, id, subject: `[Punctual] subject ${id}`, text: `text ${id}\n`, html: `<p>html ${id}</p>` };
}

/** The send's rejection (failing the test when it resolves) and how long it took. */
async function failureOf(sending: Promise<void>): Promise<{ error: EmailDeliveryError; elapsedMs: number }> {
  const started = performance.now();
  const error = await sending.then(
    () => {
      throw new Error('expected the send to fail');
    },
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(EmailDeliveryError);
  return { error: error as EmailDeliveryError, elapsedMs: performance.now() - started };
}

describe('mailer', () => {
  let sink: SmtpSink;
  let mailer: Mailer;

  beforeAll(async () => {
    sink = await startSmtpSink();
    mailer = createMailer({ smtpUrl: sink.url, from: FROM, timeoutMs: 2_000 });
  });

  afterAll(async () => {
    mailer.close();
    await sink.close();
  });

  it('delivers to the recipient, from EMAIL_FROM, with the Message-ID of the notification and both bodies', async () => {
    const before = sink.messages.length;

    await mailer.send(message('n-1'));

    const received = (await sink.waitForMessages(before + 1, 5_000))[before];
    expect(received).toMatchObject({
      from: FROM,
      to: ['owner@example.test'],
      subject: '[Punctual] subject n-1',
      text: 'text n-1\n',
      html: '<p>html n-1</p>',
      messageId: '<n-1@punctual>',
    });
    expect(received?.headers.from).toBe(FROM);
    expect(received?.headers.to).toBe('owner@example.test');
  });

  it('rejects a 451 as worth retrying, and the same message goes through on the next send', async () => {
    const before = sink.messages.length;
    sink.rejectNext(451, 'Mailbox busy, try later');

    const { error } = await failureOf(mailer.send(message('n-2')));
    expect(error.message).toBe(`SMTP server at 127.0.0.1:${sink.port} refused the message to DATA: 451 Mailbox busy, try later`);
    expect(error.responseCode).toBe(451);
    expect(isPermanentEmailFailure(error)).toBe(false);

    await mailer.send(message('n-2'));
    const received = await sink.waitForMessages(before + 1, 5_000);
    expect(received.map((email) => email.messageId).slice(before)).toEqual(['<n-2@punctual>']);
  });

  it('rejects a 550 for the recipient as permanent', async () => {
    sink.rejectNext(550, 'No such user here', 1, 'rcpt');

    const { error } = await failureOf(mailer.send(message('n-3', 'nobody@example.test')));

    expect(error.message).toMatch(
      new RegExp(`^SMTP server at 127\\.0\\.0\\.1:${sink.port} refused the message to RCPT: .*550 No such user here`),
    );
    expect(error.responseCode).toBe(550);
    expect(isPermanentEmailFailure(error)).toBe(true);
  });

  it('rejects a 550 for the message as permanent', async () => {
    sink.rejectNext(550, 'Message rejected as spam');

    const { error } = await failureOf(mailer.send(message('n-4')));

    expect(error.responseCode).toBe(550);
    expect(isPermanentEmailFailure(error)).toBe(true);
  });

  it('does not call errors without an SMTP reply permanent', () => {
    expect(isPermanentEmailFailure(new Error('socket hang up'))).toBe(false);
    expect(isPermanentEmailFailure(new EmailDeliveryError('x', { code: 'ETIMEDOUT', responseCode: null }))).toBe(false);
    expect(isPermanentEmailFailure(new EmailDeliveryError('x', { code: 'EPROTOCOL', responseCode: 503 }))).toBe(false);
    expect(isPermanentEmailFailure(null)).toBe(false);
  });
});

describe('mailer, when the SMTP server is down or hangs', () => {
  const mailers: Mailer[] = [];
  afterEach(() => {
    for (const mailer of mailers.splice(0)) mailer.close();
  });
  const mailerFor = (smtpUrl: string, timeoutMs: number): Mailer => {
    const mailer = createMailer({ smtpUrl, from: FROM, timeoutMs });
    mailers.push(mailer);
    return mailer;
  };

  it('rejects at once with a clear error while the server is down, and delivers once it is back', async () => {
    const sink = await startSmtpSink();
    const mailer = mailerFor(sink.url, 2_000);
    try {
      await mailer.send(message('before'));
      await sink.stop();

      const { error, elapsedMs } = await failureOf(mailer.send(message('while-down')));
      expect(error.message).toMatch(
        new RegExp(`^SMTP server at 127\\.0\\.0\\.1:${sink.port} (refused the connection|closed the connection)`),
      );
      expect(isPermanentEmailFailure(error)).toBe(false);
      expect(elapsedMs).toBeLessThan(2_000);

      await sink.start();
      await mailer.send(message('after'));
      const received = await sink.waitForMessages(2, 5_000);
      expect(received.map((email) => email.messageId)).toEqual(['<before@punctual>', '<after@punctual>']);
    } finally {
      await sink.close();
    }
  });

  it('gives up on a server that accepts the connection but never greets, within the timeout', async () => {
    const silent = await startSilentServer();
    try {
      const mailer = mailerFor(`smtp://127.0.0.1:${silent.port}`, 1_000);

      const { error, elapsedMs } = await failureOf(mailer.send(message('hung')));

      // The greeting wait and the idle-socket wait are both 1 s here: either may end it.
      expect(error.message).toMatch(
        new RegExp(`^SMTP server at 127\\.0\\.0\\.1:${silent.port} timed out: no (greeting|answer) within 1000 ms$`),
      );
      expect(error.code).toBe('ETIMEDOUT');
      expect(isPermanentEmailFailure(error)).toBe(false);
      // The greeting wait, plus room for a loaded machine; far from nodemailer's default 30 s.
      expect(elapsedMs).toBeGreaterThanOrEqual(900);
      expect(elapsedMs).toBeLessThan(8_000);
    } finally {
      await silent.close();
    }
  });

  it('never puts the SMTP password in an error, even when the server echoes it', async () => {
    const sink = await startSmtpSink();
    const password = 's3cr3t-p@ss/word';
    const mailer = mailerFor(`smtp://mailuser:${encodeURIComponent(password)}@127.0.0.1:${sink.port}`, 2_000);
    try {
      await mailer.send(message('logged-in'));
      sink.rejectNext(554, `Rejected for mailuser/${password}`);
      const echoed = await failureOf(mailer.send(message('echoed')));
      await sink.stop();
      const down = await failureOf(mailer.send(message('down')));

      expect(echoed.error.message).toBe(`SMTP server at 127.0.0.1:${sink.port} refused the message to DATA: 554 Rejected for mailuser/***`);
      expect(down.error.message).toMatch(new RegExp(`^SMTP server at 127\\.0\\.0\\.1:${sink.port} `));
      for (const { error } of [echoed, down]) {
        const everything = `${error.message} ${error.stack ?? ''} ${JSON.stringify(error)}`;
        expect(everything).not.toContain('s3cr3t');
      }
    } finally {
      await sink.close();
    }
  });
});
