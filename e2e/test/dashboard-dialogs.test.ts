import { randomUUID } from 'node:crypto';
import { createPunctualClient, unwrap } from '@punctual/client';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBrowser } from './browser.js';
import { useRunningStack } from './punctual-client.js';

// Regressions found in review: a double click confirmed twice; an emptied page said "No tasks yet"; icon-only and
// numbered buttons had no useful names.

const PASSWORD = 'correct horse battery staple';

describe('the dashboard dialogs and lists', () => {
  const stack = useRunningStack({ workers: 1 });
  const browser = useBrowser();
  const email = `dialogs-${randomUUID()}@example.com`;

  beforeAll(async () => {
    await unwrap(createPunctualClient({ baseUrl: stack.api.url }).POST('/api/v1/auth/register', { body: { email, password: PASSWORD } }));
  });

  async function signIn(page: Page, path: string): Promise<void> {
    await page.goto(`${stack.api.url}${path}`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('rotates the signing secret once on a double click, with a named confirm and close button', async () => {
    const page = await browser.newPage();
    let rotations = 0;
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/auth/signing-secret/rotate')) rotations += 1;
    });
    await signIn(page, '/account');
    await page.getByRole('button', { name: 'Rotate signing secret' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the signing secret?' });
    await dialog.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await dialog.getByRole('button', { name: 'Close dialog' }).count()).toBe(1);

    await dialog.getByRole('button', { name: 'Rotate secret' }).dblclick();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    await page.waitForTimeout(500);
    expect(rotations).toBe(1);
    expect(await page.getByRole('button', { name: 'Dismiss notification' }).count()).toBeGreaterThanOrEqual(1);
  });

  it('moves to the last page with rows when every row of a later page is deleted', async () => {
    const session = await unwrap(
      createPunctualClient({ baseUrl: stack.api.url }).POST('/api/v1/auth/login', { body: { email, password: PASSWORD } }),
    );
    const client = createPunctualClient({ baseUrl: stack.api.url, token: session.token });
    const later = new Date(Date.now() + 3_600_000).toISOString();
    for (let index = 0; index < 21; index += 1) {
      await unwrap(client.POST('/api/v1/tasks', { body: { name: `paged ${index}`, url: `${stack.target.url}/ok`, scheduledAt: later } }));
    }

    const page = await browser.newPage();
    await signIn(page, '/tasks');
    await page.getByRole('button', { name: 'Page 2' }).click();
    // Newest first: page 2 holds the oldest task alone.
    await page.getByRole('checkbox', { name: 'Select paged 0', exact: true }).waitFor({ state: 'visible', timeout: 10_000 });
    await page.getByRole('checkbox', { name: 'Select all tasks on this page' }).check();
    await page.getByRole('button', { name: 'Delete selected' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete task' }).click();

    // Back on page 1, with the 20 tasks left (plus the header row).
    await page.getByRole('checkbox', { name: 'Select paged 20', exact: true }).waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.getByRole('row').count()).toBe(21);
    expect(new URL(page.url()).searchParams.get('page')).toBeNull();
    expect(await page.getByText('No tasks yet').count()).toBe(0);
  });

  it('tells keyboard users why an action is disabled, and empties the search box with the filters', async () => {
    const session = await unwrap(
      createPunctualClient({ baseUrl: stack.api.url }).POST('/api/v1/auth/login', { body: { email, password: PASSWORD } }),
    );
    const client = createPunctualClient({ baseUrl: stack.api.url, token: session.token });
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const task = await unwrap(client.POST('/api/v1/tasks', { body: { name: 'held', url: `${stack.target.url}/ok`, scheduledAt: later } }));
    await unwrap(client.POST('/api/v1/tasks/{id}/pause', { params: { path: { id: task.id } } }));

    const page = await browser.newPage();
    await signIn(page, `/tasks/${task.id}`);
    const pause = page.getByRole('button', { name: 'Pause', exact: true });
    await pause.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await pause.getAttribute('aria-disabled')).toBe('true');
    const describedBy = await pause.getAttribute('aria-describedby');
    expect(describedBy).toBeTruthy();
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toMatch(/paused/i);

    await page.getByRole('link', { name: 'Tasks' }).click();
    await page.getByRole('textbox', { name: 'Search' }).fill('nothing-matches-this');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByRole('checkbox', { name: 'Select held', exact: true }).waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.getByRole('textbox', { name: 'Search' }).inputValue()).toBe('');
  });
});
