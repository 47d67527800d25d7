import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach } from 'vitest';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it): playwright-core drives it, nothing is downloaded. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless, and quiet on the network: without the background-networking flags Chromium dials Google's services at
 * start, which a closed network refuses many times over. The sandbox needs user namespaces that CI's root lacks.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface BrowserFixture {
  browser: Browser;
  /** A fresh context (no cookies, no storage) with one page, at a desktop size unless told. */
  newPage(options?: { width?: number; height?: number }): Promise<Page>;
}

/**
 * For the enclosing describe: one Chromium for the file, a context per `newPage` (a test's are closed when the next
 * starts), and on a failed test a screenshot of each open page under the OS temp folder, named in the failure output.
 */
export function useBrowser(): BrowserFixture {
  const fixture = {} as BrowserFixture;
  let contexts: BrowserContext[] = [];
  beforeAll(async () => {
    fixture.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    fixture.newPage = async ({ width = 1280, height = 800 } = {}) => {
      const context = await fixture.browser.newContext({ viewport: { width, height } });
      contexts.push(context);
      return context.newPage();
    };
  });
  // The last test's pages close when the next test starts (or with the browser), not after it: a failed test's are
  // photographed first (onTestFailed runs after the afterEach hooks).
  beforeEach(async ({ onTestFailed, task }) => {
    await Promise.all(contexts.map((context) => context.close()));
    contexts = [];
    onTestFailed(async () => {
      const folder = `${process.env.TMPDIR ?? '/tmp'}/punctual-browser-failures`;
      mkdirSync(folder, { recursive: true });
      for (const [index, page] of contexts.flatMap((context) => context.pages()).entries()) {
        const path = `${folder}/${task.name.replace(/[^\w-]+/g, '-')}-${index}.png`;
        await page.screenshot({ path, fullPage: true }).catch(() => undefined);
        console.log(`screenshot of the failed test's page ${page.url()}: ${path}`);
      }
    });
  });
  afterAll(async () => {
    await fixture.browser?.close();
  });
  return fixture;
}
