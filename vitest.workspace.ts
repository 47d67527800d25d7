import type { TestProjectConfiguration } from 'vitest/config';

const packages = ['config', 'scheduling', 'db', 'queue', 'executor', 'core', 'testing'];
const apps = ['api', 'worker'];

/** One vitest project per workspace package and app; `vitest.config.ts` runs them all. */
export const projects: TestProjectConfiguration[] = [
  ...packages.map((name) => ({ name, root: `packages/${name}` })),
  ...apps.map((name) => ({ name, root: `apps/${name}` })),
  { name: 'e2e', root: 'e2e' },
].map(({ name, root }) => ({
  extends: true,
  test: { name, root, include: ['test/**/*.test.ts'] },
}));

export default projects;
