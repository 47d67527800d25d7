import type { TestProjectConfiguration } from 'vitest/config';

const packages = [
  'config',
  'scheduling',
  'db',
  'queue',
  'executor',
  'contract',
  'core',
  'embedded',
  'metrics',
  'notifier',
  'process',
  'telemetry',
  'testing',
  'client',
  'cli',
];
const apps = ['api', 'worker', 'dashboard'];

/**
 * The end-to-end files start real API and worker processes (each a couple of CPU-seconds to boot): they run after the
 * other projects and one file at a time, so boot times stay far below the readiness timeouts on a two-core machine.
 */
const endToEnd = { fileParallelism: false, sequence: { groupOrder: 1 } };

/** One vitest project per workspace package and app; `vitest.config.ts` runs them all. */
export const projects: TestProjectConfiguration[] = [
  ...packages.map((name) => ({ name, root: `packages/${name}` })),
  ...apps.map((name) => ({ name, root: `apps/${name}` })),
  { name: 'e2e', root: 'e2e' },
].map(({ name, root }) => ({
  extends: true,
  test: { name, root, include: ['test/**/*.test.ts'], ...(name === 'e2e' ? endToEnd : {}) },
}));

export default projects;
