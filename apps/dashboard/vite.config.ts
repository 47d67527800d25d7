import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

/** Where `vite` dev sends the API's paths: the API started by `pnpm start` unless PUNCTUAL_URL names another. */
const api = process.env.PUNCTUAL_URL ?? 'http://127.0.0.1:3000';

/**
 * Writes a .br and a .gz beside each script and stylesheet of the build, which the API sends to a browser that accepts
 * them (@fastify/static's `preCompressed`): ~1.3 MB becomes ~350 kB before sign-in, with no compression work per
 * request. A dozen lines of node:zlib, where a plugin package would add its own dependencies for the same two calls.
 */
function precompress(outDir: string): Plugin {
  return {
    name: 'punctual-precompress',
    apply: 'build',
    closeBundle() {
      const assets = join(outDir, 'assets');
      for (const name of readdirSync(assets).filter((file) => /\.(js|css|svg)$/.test(file))) {
        const content = readFileSync(join(assets, name));
        writeFileSync(join(assets, `${name}.br`), brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
        writeFileSync(join(assets, `${name}.gz`), gzipSync(content, { level: 9 }));
      }
    },
  };
}

const outDir = join(import.meta.dirname, 'dist');

export default defineConfig({
  base: '/',
  plugins: [react(), precompress(outDir)],
  // `source` first: workspace packages (@punctual/client, @punctual/scheduling) are bundled from their TypeScript.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  server: { proxy: { '/api': api, '/docs': api, '/health': api } },
  // React, Mantine and the router make one ~1 MB chunk (~300 kB gzipped); the charts load with the overview.
  build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 1100 },
});
