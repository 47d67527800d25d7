import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * `pnpm build`, once per test run, before any test starts: the process tests run the compiled entry points with plain
 * Node, as production does, so they must never run a stale dist/. Incremental (`tsc -b`): well under a second when
 * nothing changed. A build error fails the run with tsc's output rather than testing code that does not compile.
 */
export async function buildWorkspace(): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`pnpm build failed, so the compiled entry points the process tests run would be stale:\n${stdout}${stderr}`, {
      cause: error,
    });
  }
}
