import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Paths that are never the dashboard's, even for a browser: their own 404 is the API's JSON. */
const NOT_PAGES = /^\/(?:api|docs|admin|health|metrics|assets)(?:\/|$)/;

/** Where `vite build` put the dashboard: @punctual/dashboard's dist/ (beside its package.json, also when deployed). */
export function dashboardRoot(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@punctual/dashboard/package.json')), 'dist');
}

/**
 * Answers a browser's navigation to a page of the dashboard (`/`, `/tasks/<id>` that emails link to, …) with its
 * index.html, whose script then shows that page; undefined for anything else, which gets the API's 404.
 */
export type DashboardPages = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> | undefined;

/**
 * The dashboard at `/`: its hashed assets under /assets/ (cached for a year: a new build has new names) and, for a
 * browser's navigation to any other path outside the API's, its index.html (never cached, so a new release shows at
 * the next load). Without a build (`pnpm build` makes one) the start's log says so and `/` is a 404.
 */
export async function registerDashboard(app: FastifyInstance, options: { root: string }): Promise<DashboardPages> {
  const indexFile = join(options.root, 'index.html');
  if (!existsSync(indexFile)) {
    app.log.warn({ root: options.root }, 'the dashboard is not built (pnpm build): / answers 404');
    return () => undefined;
  }
  await app.register(fastifyStatic, {
    root: join(options.root, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    wildcard: true,
    immutable: true,
    // The build writes .br and .gz beside each script and stylesheet: sent to a browser that accepts them.
    preCompressed: true,
    dotfiles: 'ignore',
    maxAge: '365d',
    // Helmet's Content-Security-Policy (script-src 'self') applies to these responses too.
  });
  return (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    const path = request.url.split('?')[0] ?? '/';
    if (NOT_PAGES.test(path)) return undefined;
    // The same URL is a page for a browser and a 404 for an API client: caches must keep the two apart.
    void reply.header('vary', 'accept');
    if (!acceptsHtml(request)) {
      void reply.header('cache-control', 'no-store');
      return undefined;
    }
    // Read at each navigation (a few hundred bytes, once per page load): a rebuild while the API runs is served at once,
    // where a copy kept from the start would name assets the rebuild removed.
    return readFile(indexFile).then((html) =>
      reply.status(200).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html),
    );
  };
}

/** A browser's navigation asks for text/html; fetch, curl and the typed client ask for JSON or anything. */
function acceptsHtml(request: FastifyRequest): boolean {
  return request.headers.accept?.includes('text/html') ?? false;
}
