import { mkdir, writeFile } from 'node:fs/promises';

/** Where a bench's clean-up steps go: they run last in, first out (processes stop before their database is dropped). */
export type Teardown = (() => Promise<unknown>)[];

/**
 * Runs a bench's `main` as this process. Its teardown steps run when it ends, however it ends, and on Ctrl-C (which
 * then exits 130); a step that fails is logged and the others still run. Exits 0 when `main` resolves true, else 1.
 */
export function runBenchMain(name: string, cleaningUp: string, main: (teardown: Teardown) => Promise<boolean>): void {
  const log = (message: string): void => console.error(`[${name}] ${message}`);
  const teardown: Teardown = [];
  const runTeardown = async (): Promise<void> => {
    for (const step of teardown.splice(0).reverse()) await step().catch((error: unknown) => log(`cleanup step failed: ${String(error)}`));
  };
  process.once('SIGINT', () => {
    log('interrupted: cleaning up');
    void runTeardown().finally(() => process.exit(130));
  });
  main(teardown)
    .finally(async () => {
      log(`cleaning up: ${cleaningUp}`);
      await runTeardown();
    })
    .then(
      (passed) => process.exit(passed ? 0 : 1),
      (error: unknown) => {
        console.error(`[${name}] failed:`, error);
        process.exit(1);
      },
    );
}

/** Writes `results` as JSON to `bench/results/<prefix><startedAt>.json`; returns the file's path. */
export async function writeResults(prefix: string, startedAt: Date, results: unknown): Promise<string> {
  const resultsDir = new URL('./results/', import.meta.url);
  await mkdir(resultsDir, { recursive: true });
  const file = new URL(`${prefix}${startedAt.toISOString().replaceAll(':', '-')}.json`, resultsDir);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file.pathname;
}
