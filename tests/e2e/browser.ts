import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core') as typeof import('playwright-core');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SHOTS = resolve(import.meta.dirname, 'screenshots');
export const DESKTOP = { width: 1366, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** Debian's Chromium, headless (never a downloaded browser). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // No sandbox as root; no GPU, sync or background networking on a machine without internet.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * What every browser test does with the app: pages that record console errors and uncaught
 * exceptions (expected 4xx answers aside) into `problems`, navigation that waits for
 * hydration, signing up, screenshots at desktop and phone sizes. `origin` is read at call
 * time (the web app starts in a beforeAll).
 */
export function browserHelpers(origin: () => string) {
  const problems: string[] = [];

  async function newPage(ctx: BrowserContext, expectedStatuses: number[] = []): Promise<Page> {
    const page = await ctx.newPage();
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() !== 'error') return;
      const status = /status of (\d{3})/.exec(m.text())?.[1];
      if (status && expectedStatuses.includes(Number(status))) return;
      problems.push(`console.error: ${m.text()} (${m.location().url})`);
    });
    return page;
  }
  /** Navigates and waits until the app has hydrated (enhanced forms and live updates are on). */
  async function go(page: Page, path: string): Promise<void> {
    await page.goto(origin() + path);
    await page.waitForSelector('html[data-hydrated="true"]');
  }
  async function signUp(page: Page, name: string, email: string): Promise<void> {
    await go(page, '/signup');
    await page.getByLabel('Your name').fill(name);
    await page.getByLabel('Work email').fill(email);
    await page.getByLabel('Password').fill('correct-horse-1');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${origin()}/`);
    await page.waitForSelector('html[data-hydrated="true"]');
  }
  async function shoot(page: Page, name: string): Promise<void> {
    await page.waitForSelector('[data-testid="live-status"][data-status="live"]', { state: 'attached' });
    for (const [label, size] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      await page.setViewportSize(size);
      await page.waitForTimeout(150);
      await page.screenshot({ path: resolve(SHOTS, `${name}-${label}.png`), fullPage: label === 'desktop' });
    }
    await page.setViewportSize(DESKTOP);
  }
  return { problems, newPage, go, signUp, shoot };
}
