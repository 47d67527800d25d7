import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

/** Where `vite` dev sends the API's paths: the API started by `pnpm start` unless PUNCTUAL_URL names another. */
const api = process.env.PUNCTUAL_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  base: '/',
  plugins: [react()],
  // `source` first: workspace packages (@punctual/client, @punctual/scheduling) are bundled from their TypeScript.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  server: { proxy: { '/api': api, '/docs': api, '/health': api } },
  // React, Mantine and the router make one ~800 kB chunk (250 kB gzipped); the charts load with the overview.
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
});
