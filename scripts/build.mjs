// `pnpm build`: compiles every package and app to JavaScript (`tsc -b` over the project references in
// tsconfig.build.json; incremental, so an unchanged workspace builds in a moment), then writes the release version into
// @punctual/config's compiled output as a literal: a compiled process never reads a package.json to know its version.
// `node scripts/build.mjs <tsconfig>` builds one project and the ones it references (a package's own `pnpm build`);
// flags go to tsc (`pnpm build --verbose` says why each project is or is not rebuilt).
// The whole workspace's build also bundles the dashboard with Vite (below).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const wholeWorkspace = !args.some((arg) => !arg.startsWith('-'));
if (wholeWorkspace) args.push(resolve(root, 'tsconfig.build.json'));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

const build = spawnSync(process.execPath, [tsc, '--build', ...args], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const compiledVersion = resolve(root, 'packages/config/dist/version.js');
if (existsSync(compiledVersion)) {
  const { version } = JSON.parse(readFileSync(resolve(root, 'packages/config/package.json'), 'utf8'));
  const literal = `// Written by scripts/build.mjs: the release version, inlined at build time.\nexport const PUNCTUAL_VERSION = ${JSON.stringify(version)};\n`;
  if (readFileSync(compiledVersion, 'utf8') !== literal) writeFileSync(compiledVersion, literal);
}

// The dashboard (a browser app, bundled by Vite into apps/dashboard/dist, which the API serves at /): rebuilt only when
// one of its inputs is newer than its last build, so `pnpm start` does not bundle it again on every start.
const dashboard = resolve(root, 'apps/dashboard');
if (wholeWorkspace && existsSync(join(dashboard, 'index.html'))) {
  const built = resolve(dashboard, 'dist/index.html');
  // Its own files, the workspace packages it bundles from source, and the lockfile (an upgraded dependency).
  const inputs = [
    'apps/dashboard/src',
    'apps/dashboard/public',
    'apps/dashboard/index.html',
    'apps/dashboard/vite.config.ts',
    'apps/dashboard/tsconfig.json',
    'apps/dashboard/package.json',
    'packages/client/src',
    'packages/scheduling/src',
    'pnpm-lock.yaml',
  ];
  const newest = Math.max(...inputs.map((input) => newestChange(resolve(root, input))));
  if (!existsSync(built) || statSync(built).mtimeMs < newest) {
    const vitePackage = createRequire(join(dashboard, 'package.json')).resolve('vite/package.json');
    const viteBin = join(dirname(vitePackage), JSON.parse(readFileSync(vitePackage, 'utf8')).bin.vite);
    const bundle = spawnSync(process.execPath, [viteBin, 'build', '--logLevel', 'warn'], { cwd: dashboard, stdio: 'inherit' });
    if (bundle.status !== 0) process.exit(bundle.status ?? 1);
  }
}

/** The latest modification time of a file, or of any file under a folder (0 when there is none). */
function newestChange(path) {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  // A folder's own time changes when a file in it is added, removed or renamed.
  return Math.max(stats.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}
