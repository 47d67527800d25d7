import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@punctual/core';
import { describe, expect, it } from 'vitest';

/** A JSON logger from the factory whose lines are kept, as the process would write them. */
function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'punctual-test', level: 'trace', format: 'json', base: { workerId: 'w:1' } }, stream) };
}

describe('createLogger', () => {
  it('writes one JSON object per line with the name, the level and the base fields', () => {
    const { lines, logger } = capture();

    logger.info({ taskId: 't-1' }, 'hello');

    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, name: 'punctual-test', workerId: 'w:1', taskId: 't-1', msg: 'hello' });
  });

  it('redacts credential fields at the top level and one level down, and the credential headers of a request', () => {
    const { lines, logger } = capture();

    logger.warn(
      {
        token: 'secret-1',
        password: 'secret-2',
        task: { token: 'secret-3', signingSecret: 'secret-4' },
        body: { currentPassword: 'secret-5', newPassword: 'secret-6' },
        req: { method: 'GET', headers: { authorization: 'Bearer secret-7', cookie: 'secret-8', 'x-api-key': 'secret-9' } },
        res: { headers: { 'set-cookie': 'secret-10' } },
        keep: 'visible',
      },
      'everything at once',
    );

    const line = lines[0]!;
    for (let index = 1; index <= 10; index++) expect(line).not.toContain(`secret-${index}"`);
    expect(JSON.parse(line)).toMatchObject({ token: '[redacted]', task: { token: '[redacted]' }, req: { method: 'GET' }, keep: 'visible' });
  });

  it('redacts every line alike, across lines and loggers (the redaction library is patched to parse its paths once)', () => {
    const first = capture();
    const second = capture();

    for (let round = 1; round <= 3; round++) {
      for (const { logger } of [first, second]) {
        logger.info(
          { token: `secret-a${round}`, task: { apiKey: `secret-b${round}` }, req: { headers: { cookie: `secret-c${round}` } } },
          'again',
        );
      }
    }

    for (const { lines } of [first, second]) {
      expect(lines).toHaveLength(3);
      for (const line of lines) {
        expect(line).not.toMatch(/secret-/);
        expect(JSON.parse(line)).toMatchObject({
          token: '[redacted]',
          task: { apiKey: '[redacted]' },
          req: { headers: { cookie: '[redacted]' } },
        });
      }
    }
  });

  it("blanks the sensitive values of a logged headers object by the task rule's names, keeping the others", () => {
    const { lines, logger } = capture();

    logger.info(
      { headers: { 'X-Functions-Key': 'k1', 'X-Hub-Signature-256': 'k2', 'Proxy-Authorization': 'k3', Accept: 'text/plain' } },
      'headers',
    );

    expect(JSON.parse(lines[0]!).headers).toEqual({
      'X-Functions-Key': '[redacted]',
      'X-Hub-Signature-256': '[redacted]',
      'Proxy-Authorization': '[redacted]',
      Accept: 'text/plain',
    });
  });

  it('writes pretty lines through pino-pretty when the format is pretty (in a process of its own, as stdout)', () => {
    const logger = fileURLToPath(new URL('../src/logger.ts', import.meta.url));
    const script =
      `const { createLogger } = await import(${JSON.stringify(logger)});` +
      `createLogger({ name: 'punctual-api', level: 'info', format: 'pretty' }).info({ token: 'pretty-secret' }, 'pretty hello');`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, NO_COLOR: '1' },
    });

    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/INFO.*\(punctual-api\).*pretty hello/);
    expect(result.stdout).not.toMatch(/^\{/m);
    expect(result.stdout).not.toContain('pretty-secret');
  });

  it('writes JSON lines to stdout without blocking, and every line of a process that exits at once still arrives', () => {
    const logger = fileURLToPath(new URL('../src/logger.ts', import.meta.url));
    // 2,000 lines written faster than one write completes, then an immediate exit: pino flushes what is left.
    const script =
      `const { createLogger } = await import(${JSON.stringify(logger)});` +
      `const log = createLogger({ name: 'punctual-worker', level: 'info', format: 'json' });` +
      `for (let i = 0; i < 2000; i++) log.info({ i }, 'attempt finished');` +
      `process.exit(0);`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });

    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { i: number });
    expect(lines.map((line) => line.i)).toEqual(Array.from({ length: 2000 }, (_, index) => index));
  });
});
