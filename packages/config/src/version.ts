import { createRequire } from 'node:module';

/** Punctual's release version (all workspace packages share it): shown by /health and sent in User-Agent. */
export const PUNCTUAL_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
