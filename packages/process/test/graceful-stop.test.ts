import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/stopping-process.ts', import.meta.url));

/**
 * Runs the fixture from source (tsx, the `source` condition, as `pnpm dev` does) with the given window and grace delay.
 * Its close lasts until `finish()`.
 */
function startStoppingProcess(windowMs: number, delayMs = 60_000) {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', FIXTURE], {
    env: { ...process.env, WINDOW_MS: String(windowMs), DELAY_MS: String(delayMs) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (!pattern.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${pattern} in:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const finish = (): void => {
    child.stdin.end('finish\n');
  };
  return { child, output: () => output, exited, waitFor, finish };
}

describe('stopGracefully', () => {
  it('treats SIGTERM, SIGTERM, SIGINT within the window as one stop: closes once, warns once, exits 0', async () => {
    const stopping = startStoppingProcess(60_000);
    await stopping.waitFor(/^ready$/m);

    stopping.child.kill('SIGTERM');
    await stopping.waitFor(/close #1 on SIGTERM/);
    stopping.child.kill('SIGTERM');
    await stopping.waitFor(/^warn: SIGTERM again within 60000 ms: the same request to stop/m);
    stopping.child.kill('SIGINT');
    await stopping.waitFor(/^handled SIGINT$/m);
    // Every signal has been handled while the close was still running: now it may end.
    stopping.finish();

    expect(await stopping.exited, stopping.output()).toBe(0);
    expect(stopping.output().split('\n').filter(Boolean)).toEqual([
      'ready',
      'close #1 on SIGTERM',
      'handled SIGTERM',
      'warn: SIGTERM again within 60000 ms: the same request to stop (one after that forces the exit)',
      'handled SIGTERM',
      'handled SIGINT',
      'closed',
    ]);
  });

  it('exits 1 when the close outlasts the grace delay, without waiting for it', async () => {
    const stopping = startStoppingProcess(60_000, 1_000);
    await stopping.waitFor(/^ready$/m);

    stopping.child.kill('SIGTERM');
    await stopping.waitFor(/close #1 on SIGTERM/);

    // The close never ends (no finish()): close-with-grace gives up after DELAY_MS.
    expect(await stopping.exited, stopping.output()).toBe(1);
    expect(stopping.output()).toMatch(/^error: killed by timeout \(1000ms\)$/m);
    expect(stopping.output()).not.toMatch(/closed/);
  });

  it('exits 1 at once on a stop request after the window, without waiting for the close', async () => {
    // The close never ends (no finish()), and the grace delay is 60 s.
    const stopping = startStoppingProcess(300);
    await stopping.waitFor(/^ready$/m);

    stopping.child.kill('SIGINT');
    await stopping.waitFor(/close #1 on SIGINT/);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const forcedAt = Date.now();
    stopping.child.kill('SIGTERM');

    expect(await stopping.exited, stopping.output()).toBe(1);
    // Far less than the 60 s close it cut short.
    expect(Date.now() - forcedAt).toBeLessThan(10_000);
    expect(stopping.output()).toMatch(/^error: SIGTERM after the graceful stop began: stopping now$/m);
    expect(stopping.output()).not.toMatch(/closed/);
  });
});
