import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createPunctualClient, unwrap, type CreateTaskBody } from '@punctual/client';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBrowser } from './browser.js';
import { useRunningStack, waitFor } from './punctual-client.js';

// The dashboard in Debian's Chromium, against a real API (which serves it at /) and a real worker: a person's way
// through it, found by the names a screen reader would read (labels, button names, headings).
// PUNCTUAL_SCREENSHOTS=<folder> also saves the pictures the README shows (`pnpm screenshots` writes docs/).

const screenshots = process.env.PUNCTUAL_SCREENSHOTS;
const PASSWORD = 'correct horse battery staple';

describe('the dashboard', () => {
  const stack = useRunningStack({ workers: 1 });
  const browser = useBrowser();
  const email = `dashboard-${randomUUID()}@example.com`;

  beforeAll(async () => {
    const anonymous = createPunctualClient({ baseUrl: stack.api.url });
    await unwrap(anonymous.POST('/api/v1/auth/register', { body: { email, password: PASSWORD } }));
    if (screenshots) {
      mkdirSync(screenshots, { recursive: true });
      await seedForPictures();
    }
  });

  /** The README's pictures show an account in use: a few tasks, some failing, run for a while before they are taken. */
  async function seedForPictures(): Promise<void> {
    const session = await unwrap(
      createPunctualClient({ baseUrl: stack.api.url }).POST('/api/v1/auth/login', { body: { email, password: PASSWORD } }),
    );
    const client = createPunctualClient({ baseUrl: stack.api.url, token: session.token });
    const target = stack.target.url;
    const tasks = [
      {
        name: 'nightly report',
        url: `${target}/ok/report`,
        method: 'POST',
        cron: '0 2 * * *',
        timezone: 'Europe/Berlin',
        tags: ['reports'],
      },
      { name: 'cache warm-up', url: `${target}/delay/40`, cron: '*/3 * * * * *', tags: ['web'] },
      { name: 'billing sync', url: `${target}/status/503`, method: 'POST', cron: '*/4 * * * * *', maxRetries: 0, tags: ['billing'] },
      { name: 'welcome email', url: `${target}/ok/welcome`, method: 'POST', scheduledAt: new Date(Date.now() + 3_600_000).toISOString() },
    ] satisfies CreateTaskBody[];
    for (const task of tasks) await unwrap(client.POST('/api/v1/tasks', { body: task }));
    await new Promise((resolve) => setTimeout(resolve, 12_000));
  }

  async function signIn(page: Page, path = '/'): Promise<void> {
    await page.goto(`${stack.api.url}${path}`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Waits for the element to show (the dashboard loads its data after the page). */
  async function visible(locator: Locator, timeout = 10_000): Promise<void> {
    await locator.waitFor({ state: 'visible', timeout });
  }

  /** For the README (PUNCTUAL_SCREENSHOTS): the page from its top unless told, without the passing notifications. */
  async function picture(page: Page, name: string, { top = true } = {}): Promise<void> {
    if (!screenshots) return;
    await page.addStyleTag({ content: '.mantine-Notifications-root { display: none !important; }' });
    if (top) await page.evaluate('window.scrollTo(0, 0)');
    await page.waitForTimeout(300);
    await page.screenshot({ path: resolve(screenshots, `${name}.png`) });
  }

  it('signs in with the keyboard alone, shows the overview, and signs out', async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.api.url}/`);
    await page.getByLabel('Email').focus();
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');

    await visible(page.getByRole('heading', { name: 'Overview' }));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await visible(page.getByRole('button', { name: 'Sign in' }));
  });

  it('refuses a wrong password with a message, and stays on the sign-in form', async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.api.url}/`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();

    await visible(page.getByRole('alert'));
    expect(await page.getByRole('alert').textContent()).toMatch(/invalid|incorrect|wrong/i);
    await visible(page.getByRole('button', { name: 'Sign in' }));
  });

  it('creates a recurring task through the form with its preview, shows its attempts as it runs, and pauses it', async () => {
    const page = await browser.newPage();
    await signIn(page);
    await page.getByRole('link', { name: 'Tasks' }).click();
    await visible(page.getByRole('heading', { name: 'Tasks' }));
    await page.getByRole('link', { name: 'New task' }).click();
    await visible(page.getByRole('heading', { name: 'New task' }));

    const name = `heartbeat ${randomUUID().slice(0, 8)}`;
    const path = `/ok/${randomUUID()}`;
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('URL').fill(`${stack.target.url}${path}`);
    await page.getByRole('radio', { name: 'Recurring' }).check({ force: true });
    await page.getByLabel('Cron expression').fill('*/2 * * * * *');

    // The preview asks the API as the expression is typed: five occurrences, two seconds apart.
    const preview = page.getByRole('list', { name: 'Next occurrences' });
    await waitFor(async () => expect(await preview.getByRole('listitem').count()).toBe(5));
    await picture(page, 'dashboard-task-form', { top: false });

    await page.getByRole('button', { name: 'Create task' }).click();
    await visible(page.getByRole('heading', { level: 1, name }));

    // It runs every two seconds; the page refreshes itself while the task is live.
    const attempts = page.getByRole('list', { name: 'Attempts' });
    const firstAttempt = attempts.getByRole('listitem').filter({ hasText: 'Attempt 1' }).first();
    await visible(firstAttempt, 20_000);
    expect(await firstAttempt.textContent()).toContain('200');
    expect(stack.target.hitsFor(path).length).toBeGreaterThanOrEqual(1);
    await visible(page.getByRole('list', { name: 'Next occurrences' }).getByRole('listitem').first());
    await picture(page, 'dashboard-task');

    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await visible(page.getByText('paused', { exact: true }).first());
    await visible(page.getByRole('button', { name: 'Resume' }));
    const id = new URL(page.url()).pathname.split('/').at(-1)!;
    const session = await unwrap(
      createPunctualClient({ baseUrl: stack.api.url }).POST('/api/v1/auth/login', { body: { email, password: PASSWORD } }),
    );
    const task = await unwrap(
      createPunctualClient({ baseUrl: stack.api.url, token: session.token }).GET('/api/v1/tasks/{id}', { params: { path: { id } } }),
    );
    expect(task).toMatchObject({ name, status: 'paused', cron: '*/2 * * * * *' });

    await page.getByRole('link', { name: 'Tasks' }).click();
    await visible(page.getByRole('link', { name }));
    await picture(page, 'dashboard-tasks');
    await page.getByRole('link', { name: 'Overview' }).click();
    await visible(page.getByRole('heading', { name: 'Overview' }));
    await page.waitForTimeout(1_000); // the charts draw after their data arrives
    await picture(page, 'dashboard-overview');
  });

  it("shows the API's 400 on the field it names, and creates nothing", async () => {
    const page = await browser.newPage();
    await signIn(page, '/tasks/new');
    await visible(page.getByRole('heading', { name: 'New task' }));
    const name = `refused ${randomUUID().slice(0, 8)}`;
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('URL').fill('not a url');
    await page.getByRole('button', { name: 'Create task' }).click();

    const url = page.getByLabel('URL');
    await waitFor(async () => expect(await url.getAttribute('aria-invalid')).toBe('true'));
    await visible(page.getByText(/must match format "uri"/).first());
    await visible(page.getByRole('heading', { name: 'New task' }));
    const session = await unwrap(
      createPunctualClient({ baseUrl: stack.api.url }).POST('/api/v1/auth/login', { body: { email, password: PASSWORD } }),
    );
    const tasks = await unwrap(
      createPunctualClient({ baseUrl: stack.api.url, token: session.token }).GET('/api/v1/tasks', { params: { query: { q: name } } }),
    );
    expect(tasks.data).toEqual([]);
  });

  it('creates an API key, shows it once, and the API accepts it', async () => {
    const page = await browser.newPage();
    await signIn(page);
    await page.getByRole('link', { name: 'Account' }).click();
    await visible(page.getByRole('heading', { name: 'Account' }));
    await page.getByLabel('Key name').fill('deploy script');
    await page.getByRole('button', { name: 'Create API key' }).click();

    const shown = page.getByRole('textbox', { name: 'New API key' });
    await visible(shown);
    const key = await shown.inputValue();
    expect(key).toMatch(/^pk_/);
    const me = await unwrap(createPunctualClient({ baseUrl: stack.api.url, token: key }).GET('/api/v1/auth/me'));
    expect(me.email).toBe(email);
    await visible(page.getByRole('button', { name: 'Revoke deploy script' }));
    await picture(page, 'dashboard-account');
  });

  it('opens the task an email links to (/tasks/<id>) once the visitor has signed in', async () => {
    const session = await unwrap(
      createPunctualClient({ baseUrl: stack.api.url }).POST('/api/v1/auth/login', { body: { email, password: PASSWORD } }),
    );
    const client = createPunctualClient({ baseUrl: stack.api.url, token: session.token });
    const name = `linked ${randomUUID().slice(0, 8)}`;
    const task = await unwrap(
      client.POST('/api/v1/tasks', {
        body: { name, url: `${stack.target.url}/ok/${randomUUID()}`, scheduledAt: new Date(Date.now() + 3_600_000).toISOString() },
      }),
    );

    const page = await browser.newPage();
    await signIn(page, `/tasks/${task.id}`);
    await visible(page.getByRole('heading', { level: 1, name }));
    expect(new URL(page.url()).pathname).toBe(`/tasks/${task.id}`);
  });

  it('fits a 360 px wide screen without sideways scrolling, navigation behind a menu button', async () => {
    const page = await browser.newPage({ width: 360, height: 740 });
    await signIn(page, '/tasks');
    await visible(page.getByRole('heading', { name: 'Tasks' }));
    await waitFor(async () => {
      // A string, evaluated in the page (this file is compiled without the DOM's types).
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect(overflow).toBeLessThanOrEqual(0);
    }, 5_000);
    await picture(page, 'dashboard-tasks-phone');
  });
});
