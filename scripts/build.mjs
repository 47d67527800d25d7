// `pnpm build`: compiles every package and app to JavaScript (`tsc -b` over the project references in
// tsconfig.build.json; incremental, so an unchanged workspace builds in a moment), then writes the release version into
// @punctual/config's compiled output as a literal: a compiled process never reads a package.json to know its version.
// `node scripts/build.mjs <tsconfig>` builds one project and the ones it references (a package's own `pnpm build`);
// flags go to tsc (`pnpm build --verbose` says why each project is or is not rebuilt).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
if (!args.some((arg) => !arg.startsWith('-'))) args.push(resolve(root, 'tsconfig.build.json'));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

const build = spawnSync(process.execPath, [tsc, '--build', ...args], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const compiledVersion = resolve(root, 'packages/config/dist/version.js');
if (existsSync(compiledVersion)) {
  const { version } = JSON.parse(readFileSync(resolve(root, 'packages/config/package.json'), 'utf8'));
  const literal = `// Written by scripts/build.mjs: the release version, inlined at build time.\nexport const PUNCTUAL_VERSION = ${JSON.stringify(version)};\n`;
  if (readFileSync(compiledVersion, 'utf8') !== literal) writeFileSync(compiledVersion, literal);
}
