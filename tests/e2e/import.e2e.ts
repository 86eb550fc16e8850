import { readFile } from 'node:fs/promises';
import { type Stack, startStack } from '@realtoros/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserHelpers, DESKTOP, launchChromium } from './browser.ts';
import { startWebApp, type WebApp } from './web-app.ts';

const HEADER = 'First Name,Last Name,E-mail Address,Phone,Lead Status,Favorite Color';
const FIRST = ['Avery', 'Blake', 'Casey', 'Devon', 'Emery', 'Finley', 'Gray', 'Harper', 'Indy', 'Jules', 'Kai', 'Logan', 'Morgan'];
const STAGES = ['Lead', 'qualified', 'Under Contract', 'contacted', 'negotiating'];

/**
 * A book of 25 rows as a spreadsheet saves it: row 3 has a bad email, row 7 an unknown stage,
 * row 12 repeats row 2's email (a duplicate, skipped). 22 rows become clients.
 */
function book(stamp: string) {
  const lines = [HEADER];
  for (let i = 1; i <= 25; i++) {
    const first = FIRST[i % FIRST.length]!;
    const last = `Importson${i}`;
    let email = `${first.toLowerCase()}.${i}-${stamp}@example.com`;
    let stage = STAGES[i % STAGES.length]!;
    if (i === 3) email = `${first.toLowerCase()}-at-example.com`;
    if (i === 7) stage = 'Hot Lead';
    if (i === 12) email = `${FIRST[2 % FIRST.length]!.toLowerCase()}.2-${stamp}@example.com`;
    lines.push([first, last, email, `555-01${String(i).padStart(2, '0')}`, stage, i % 2 ? 'Blue' : '"Green, light"'].join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * Importing clients from a CSV in a real browser against the real stack (gateway, crm runs
 * the job, projector): choose a file, see what the import will do, start it, follow it live,
 * download the rejected rows, find the clients. Nothing is reloaded by hand.
 */
describe('importing clients from a CSV in a browser', () => {
  let stack: Stack;
  let web: WebApp;
  let browser: Browser;
  const { problems, newPage, go, signUp, shoot } = browserHelpers(() => web.url);

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

  const upload = (page: Page, name: string, csv: string) =>
    page.getByTestId('import-file').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
  /** Reads the web app's `/live` stream with the context's session and keeps the event types it carries. */
  async function liveEvents(ctx: BrowserContext) {
    const cookie = (await ctx.cookies(web.url)).map((c) => `${c.name}=${c.value}`).join('; ');
    const abort = new AbortController();
    const seen: string[] = [];
    const res = await fetch(`${web.url}/live`, { headers: { cookie, accept: 'text/event-stream' }, signal: abort.signal });
    expect(res.status).toBe(200);
    void (async () => {
      let buffer = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        const end = buffer.lastIndexOf('\n');
        for (const m of buffer.slice(0, end + 1).matchAll(/^event: (\w+)$/gm)) seen.push(m[1]!);
        buffer = buffer.slice(end + 1);
      }
    })().catch(() => {});
    return { seen: () => [...seen], close: () => abort.abort() };
  }
  const mapped = (page: Page, header: string) =>
    page.locator(`[data-testid="import-column"][data-header="${header}"]`).getAttribute('data-target');

  it('settings, then clients → Import CSV: a refusal in words; the preview (columns guessed, bad rows named); start; progress live to done; the report; the clients', async () => {
    const stamp = Date.now().toString(36);
    const ctx = await browser.newContext({ viewport: DESKTOP, timezoneId: 'America/New_York', acceptDownloads: true });
    const page = await newPage(ctx, [400, 413]);
    await signUp(page, 'Iris Importer', `iris-${stamp}@example.com`);

    // The settings page, for the README.
    await go(page, '/settings');
    await page.getByTestId('settings-form').waitFor();
    await shoot(page, 'settings');

    // Clients → Import CSV.
    await go(page, '/clients');
    await page.getByTestId('import-clients').click();
    await page.waitForURL(`${web.url}/clients/import`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('Import clients');

    // A file the gateway refuses (a header and no rows) is a message, not an error page.
    await upload(page, 'empty.csv', `${HEADER}\r\n`);
    await expect.poll(() => page.getByTestId('import-error').textContent()).toMatch(/\w{4,}/);
    expect(await page.getByTestId('import-preview').count()).toBe(0);

    // The real file: its columns guessed, its rows checked.
    const csv = book(stamp);
    await upload(page, `book-${stamp}.csv`, csv);
    await page.getByTestId('import-preview').waitFor();
    expect(await page.getByTestId('import-error').count()).toBe(0);
    const guessed: Record<string, string> = {
      'First Name': 'first_name',
      'Last Name': 'last_name',
      'E-mail Address': 'email',
      Phone: 'phone',
      'Lead Status': 'stage',
      'Favorite Color': 'custom',
    };
    for (const [header, target] of Object.entries(guessed)) {
      expect(await page.getByTestId(`mapping-${header}`).inputValue(), header).toBe(target);
      expect(await page.getByLabel(header, { exact: true }).inputValue()).toBe(target);
    }
    expect(await page.getByTestId('preview-total').textContent()).toBe('25');
    expect(await page.getByTestId('preview-bad-rows').textContent()).toBe('2');
    expect(await page.getByTestId('preview-duplicates').textContent()).toBe('1');
    expect(await page.getByTestId('preview-row').count()).toBe(20);
    const bad = page.locator('[data-testid="preview-row"][data-ok="false"]');
    expect(await bad.evaluateAll((els) => els.map((e) => e.getAttribute('data-row')))).toEqual(['3', '7']);
    expect(await bad.nth(0).getByTestId('preview-reason').textContent()).toContain('is not an email address');
    expect(await bad.nth(1).getByTestId('preview-reason').textContent()).toContain('unknown stage "Hot Lead"');
    const ok = page.locator('[data-testid="preview-row"][data-row="1"]');
    expect(await ok.textContent()).toContain(`Importson1`);
    // Row 12 repeats row 2's email: marked, so the agent sees which rows the choice below is about.
    expect(await page.locator('[data-testid="preview-row"][data-row="12"]').textContent()).toContain('Duplicate');
    expect(await ok.textContent()).not.toContain('Duplicate');

    // Changing a mapping reads the file again with it; changing it back restores the guess.
    await page.getByTestId('mapping-Favorite Color').selectOption('ignore');
    await expect.poll(() => mapped(page, 'Favorite Color')).toBe('ignore');
    await page.getByTestId('mapping-Favorite Color').selectOption('custom');
    await expect.poll(() => mapped(page, 'Favorite Color')).toBe('custom');
    expect(await page.getByTestId('preview-bad-rows').textContent()).toBe('2');

    // Duplicates are skipped, new clients join no plan (the defaults).
    expect(await page.getByTestId('on-duplicate-skip').isChecked()).toBe(true);
    expect(await page.getByTestId('import-plan').inputValue()).toBe('none');
    await shoot(page, 'import-preview');

    // The agent's live stream, read beside the page: the job's events are what refresh its page.
    const live = await liveEvents(ctx);

    // Start: the job's page follows it live to the end.
    await page.getByTestId('start-import').click();
    await page.waitForURL(/\/clients\/import\/[0-9a-f-]{36}$/);
    const job = page.getByTestId('import-job');
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 60_000, message: 'import done, shown live' }).toBe('done');
    expect(await page.getByTestId('import-progress').textContent()).toBe('25 of 25 rows');
    expect(await page.getByTestId('import-created').textContent()).toBe('22');
    expect(await page.getByTestId('import-updated').textContent()).toBe('0');
    expect(await page.getByTestId('import-skipped').textContent()).toBe('1');
    expect(await page.getByTestId('import-failed').textContent()).toBe('2');
    const rejected = page.getByTestId('import-error-row');
    expect(await rejected.evaluateAll((els) => els.map((e) => e.getAttribute('data-row')))).toEqual(['3', '7']);
    await expect
      .poll(() => live.seen(), { message: 'the job’s events on the live stream' })
      .toEqual(expect.arrayContaining(['ImportStarted', 'ImportProgressed', 'ImportFinished']));
    live.close();
    await page.waitForTimeout(300); // the progress bar's width transition
    await shoot(page, 'import-done');

    // The report names the two rejected rows, with their own cells.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('import-report').click()]);
    const report = await readFile((await download.path())!, 'utf8');
    const lines = report.trim().split(/\r?\n/);
    expect(lines[0]).toContain('Row');
    expect(lines[0]).toContain('E-mail Address');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^"?3"?,/);
    expect(lines[1]).toContain('is not an email address');
    expect(lines[1]).toContain('-at-example.com');
    expect(lines[2]).toMatch(/^"?7"?,/);
    expect(lines[2]).toContain('Hot Lead');

    // The clients are there: search finds one of them.
    await page.getByTestId('import-to-clients').click();
    await page.waitForURL(`${web.url}/clients`);
    await page.getByTestId('client-search').fill('Importson14');
    const rows = page.getByTestId('client-row');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(`${FIRST[14 % FIRST.length]!.toLowerCase()}.14-${stamp}@example.com`);
    await page.getByTestId('client-search').fill('Importson');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).locator('..').textContent()).toContain('22 matching');

    await ctx.close();
    expect(problems).toEqual([]);
  });
});
