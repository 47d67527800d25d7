import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PUNCTUAL_VERSION } from '../src/version.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

describe('PUNCTUAL_VERSION', () => {
  it('is the package version, read from package.json when running from source', () => {
    expect(PUNCTUAL_VERSION).toBe(version);
  });

  it('is a literal in the compiled output (the global setup has built it): nothing is read at run time', async () => {
    const compiled = readFileSync(new URL('../dist/version.js', import.meta.url), 'utf8');
    expect(compiled).toContain(`export const PUNCTUAL_VERSION = ${JSON.stringify(version)};`);
    expect(compiled).not.toMatch(/package\.json|require/);
    const { PUNCTUAL_VERSION: compiledVersion } = (await import(new URL('../dist/version.js', import.meta.url).href)) as {
      PUNCTUAL_VERSION: string;
    };
    expect(compiledVersion).toBe(version);
  });
});
