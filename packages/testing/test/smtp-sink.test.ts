import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink, type SmtpSink } from '../src/smtp-sink.js';

/** A bare SMTP client over a socket: each call sends a line and resolves with the server's reply (last line). */
async function smtpSession(port: number): Promise<{ command(line: string): Promise<string>; socket: Socket }> {
  const socket = connect(port, '127.0.0.1');
  let buffer = '';
  const pending: ((reply: string) => void)[] = [];
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      // Multi-line replies continue with "250-"; the last line has a space after the code.
      if (/^\d{3} /.test(line)) pending.shift()?.(line);
    }
  });
  const reply = (): Promise<string> => new Promise((resolve) => pending.push(resolve));
  await reply(); // the greeting
  return {
    socket,
    command(line) {
      const answer = reply();
      socket.write(`${line}\r\n`);
      return answer;
    },
  };
}

async function sendRaw(port: number, to: string, body: string): Promise<string[]> {
  const session = await smtpSession(port);
  const replies = [
    await session.command('EHLO test'),
    await session.command('MAIL FROM:<sender@example.test>'),
    await session.command(`RCPT TO:<${to}>`),
  ];
  if (replies[2]?.startsWith('250')) {
    replies.push(await session.command('DATA'), await session.command(`${body}\r\n.`));
  }
  await session.command('QUIT');
  session.socket.destroy();
  return replies;
}

const MESSAGE = [
  'From: Sender <sender@example.test>',
  'To: someone@example.test',
  'Subject: Hello there',
  'Message-ID: <abc-123@punctual>',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'The body.',
].join('\r\n');

describe('SMTP sink', () => {
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await startSmtpSink();
  });

  afterAll(async () => {
    await sink.close();
  });

  it('keeps each message with its envelope, subject, body, Message-ID and headers', async () => {
    const replies = await sendRaw(sink.port, 'someone@example.test', MESSAGE);

    expect(replies.at(-1)).toMatch(/^250 /);
    const [received] = await sink.waitForMessages(1, 5_000);
    expect(sink.url).toBe(`smtp://127.0.0.1:${sink.port}`);
    expect(received).toMatchObject({
      from: 'sender@example.test',
      to: ['someone@example.test'],
      subject: 'Hello there',
      text: 'The body.\n',
      messageId: '<abc-123@punctual>',
    });
    expect(received?.headers['message-id']).toBe('<abc-123@punctual>');
  });

  it('answers the next messages with the error rejectNext names, then accepts again', async () => {
    const before = sink.messages.length;
    sink.rejectNext(451, 'Try again later', 1);
    sink.rejectNext(550, 'No such user', 1, 'rcpt');

    const first = await sendRaw(sink.port, 'someone@example.test', MESSAGE);
    const second = await sendRaw(sink.port, 'nobody@example.test', MESSAGE);
    const third = await sendRaw(sink.port, 'someone@example.test', MESSAGE);

    expect(first.at(-1)).toMatch(/^451 /);
    expect(second.at(-1)).toMatch(/^550 /);
    expect(third.at(-1)).toMatch(/^250 /);
    await sink.waitForMessages(before + 1, 5_000);
    expect(sink.messages).toHaveLength(before + 1);
  });

  it('refuses connections once stopped and accepts them on the same port once started again', async () => {
    await sink.stop();
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(sink.port, '127.0.0.1');
      socket.on('connect', () => resolve('connected'));
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');

    await sink.start();
    const replies = await sendRaw(sink.port, 'someone@example.test', MESSAGE);
    expect(replies.at(-1)).toMatch(/^250 /);
  });

  it('rejects waitForMessages when too few arrive in time', async () => {
    await expect(sink.waitForMessages(sink.messages.length + 1, 100)).rejects.toThrow(/within 100 ms/);
  });
});
