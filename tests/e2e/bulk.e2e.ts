import { type Stack, startStack } from '@realtoros/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../api/http.ts';
import { browserHelpers, DESKTOP, launchChromium } from './browser.ts';
import { startWebApp, type WebApp } from './web-app.ts';

/** Tags and the clients list's bulk bar in a real browser against the real stack. */
describe('tags and bulk actions in a browser', () => {
  let stack: Stack;
  let web: WebApp;
  let browser: Browser;
  const { problems, newPage, go, signUp } = browserHelpers(() => web.url);

  beforeAll(async () => {
    browser = await launchChromium();
    stack = await startStack(['projector', 'crm', 'scheduler', 'gateway']);
    web = await startWebApp({ DATABASE_URL: stack.env.DATABASE_URL!, JWT_SECRET: stack.env.JWT_SECRET!, GATEWAY_URL: stack.api });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.dispose();
  });

  it('tick rows → change stage and add a tag (chips show, the tag filter finds them) → select all matching the filter → delete after a confirmation', async () => {
    const stamp = Date.now().toString(36);
    const email = `bulk-${stamp}@example.com`;
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const page = await newPage(ctx);
    await signUp(page, 'Bulk Agent', email);
    const login = await apiClient(stack.api).post('/api/auth/login', { email, password: 'correct-horse-1' });
    const api = apiClient(stack.api, login.body.token);
    for (let i = 0; i < 3; i++)
      expect((await api.post('/api/clients', { name: `Row ${i}`, email: `row${i}-${stamp}@example.com`, plan_id: null })).status).toBe(201);

    await go(page, '/clients');
    const rows = page.getByTestId('client-row');
    await expect.poll(() => rows.count()).toBe(3);
    await rows.nth(0).getByTestId('bulk-select').check();
    await rows.nth(1).getByTestId('bulk-select').check();
    await expect.poll(() => page.getByTestId('bulk-count').textContent()).toBe('2 selected');

    await page.getByTestId('bulk-stage').selectOption('qualified');
    await page.getByTestId('bulk-set-stage').click();
    await expect.poll(() => page.getByTestId('bulk-result').textContent()).toContain('2 done (stage changed), 0 not found, 0 failed');
    await expect.poll(() => page.locator('[data-testid="client-row"][data-stage="qualified"]').count()).toBe(2);

    await page.getByTestId('bulk-select-page').check();
    await page.getByTestId('bulk-tag').fill('Open House');
    await page.getByTestId('bulk-add-tag').click();
    await expect.poll(() => page.getByTestId('bulk-result').textContent()).toContain('3 done (tagged)');
    await expect.poll(() => page.locator('[data-testid="tag-chip"][data-value="Open House"]').count()).toBe(3);

    // The tag filter (any case) and the client page's chips.
    await page.getByTestId('filter-tag').fill('open house');
    await page.waitForURL(/tag=open\+house|tag=open%20house/);
    await expect.poll(() => rows.count()).toBe(3);

    // More matches than a page: tick the page, then "select all 23 matching the filter", delete after confirming.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.post('/api/clients', { name: `More ${i}`, email: `more${i}-${stamp}@example.com`, plan_id: null, tags: ['OPEN HOUSE'] }),
      ),
    );
    await api.post('/api/clients', { name: 'Keep Me', email: `keep-${stamp}@example.com`, plan_id: null });
    await go(page, '/clients?tag=open+house');
    await expect.poll(() => rows.count()).toBe(20);
    await page.getByTestId('bulk-select-page').check();
    await page.getByTestId('bulk-select-matching').click();
    await expect.poll(() => page.getByTestId('bulk-count').textContent()).toBe('23 selected');
    await page.getByTestId('bulk-delete').click();
    await page.getByTestId('bulk-delete-confirm').click();
    await expect.poll(() => page.getByTestId('bulk-result').textContent()).toContain('23 done (deleted), 0 not found, 0 failed');
    await expect.poll(() => rows.allTextContents()).toEqual([]);
    expect(page.url()).toContain('tag=open+house'); // still the filtered list
    const left = (await api.get('/api/clients')).body;
    expect(left.items.map((c: { name: string }) => c.name)).toEqual(['Keep Me']);
    expect(problems).toEqual([]);
  }, 120_000);
});
