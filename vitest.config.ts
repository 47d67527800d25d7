import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { projects } from './vitest.workspace.js';

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (their `source` export condition), never to a dist/: in the
  // test files (`ssr`, where Vitest documents it) and in the global setup (Vitest loads it in its `__vitest__`
  // environment, whose resolve options do not inherit the top-level ones). Vitest adds its Node conditions to both.
  ssr: { resolve: { conditions: ['source'] } },
  environments: { __vitest__: { resolve: { conditions: ['source'] } } },
  test: {
    projects,
    // Finds (or starts, with testcontainers) the Postgres and Redis the integration tests use.
    globalSetup: [fileURLToPath(new URL('./packages/testing/src/global-setup.ts', import.meta.url))],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: a few files at once, each with its own database and queue prefix.
    maxWorkers: 3,
    env: { NODE_ENV: 'test', LOG_LEVEL: 'silent' },
    // CI reads the totals from the JSON results (`.ci/run` prints "N passed, M failed").
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.vitest-results.json' }]] : ['default'],
  },
});
