import { type Stack, startStack } from '@realtoros/testing';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserHelpers, DESKTOP, launchChromium } from './browser.ts';
import { startWebApp, type WebApp } from './web-app.ts';

/**
 * Plans, enrolments, the sending window and the decision trail in a real browser against the
 * real stack (crm, scheduler, projector, gateway as their own processes; nothing here fires,
 * so the ai-agent and the mailer stay off). What the agent does is done in the page; what the
 * services decide arrives through the live stream.
 */
describe('plans and the decision trail in a browser', () => {
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

  const labels = (page: Page) => page.getByTestId('plan-step').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')));
  const step = (page: Page, i: number) => page.getByTestId('plan-step').nth(i);
  const taskRow = (page: Page, label: string): Locator =>
    page.locator('[data-testid="task-row"]').filter({ has: page.locator('[data-testid="task-type"]', { hasText: label }) });
  /** Opens a row's "Why" and returns its sentences (re-read as the trail changes). */
  async function trailOf(row: Locator): Promise<() => Promise<string[]>> {
    if ((await row.getByTestId('task-why').getAttribute('aria-expanded')) !== 'true') await row.getByTestId('task-why').click();
    await row.getByTestId('task-trail').waitFor();
    return () => row.locator('[data-testid="trail-item"] .text').allTextContents();
  }

  it('settings: bad input is shown on its field; the window is saved', async () => {
    const stamp = Date.now().toString(36);
    const ctx = await browser.newContext({ viewport: DESKTOP, timezoneId: 'America/New_York' });
    const page = await newPage(ctx, [400]);
    await signUp(page, 'Sam Settings', `sam-${stamp}@example.com`);

    await page.getByRole('link', { name: 'Settings' }).first().click();
    await page.waitForURL(`${web.url}/settings`);
    expect(await page.getByTestId('settings-time-zone').inputValue()).toBe('America/New_York');
    expect(await page.getByTestId('day-1').isChecked()).toBe(true);
    expect(await page.getByTestId('day-6').isChecked()).toBe(false);

    await page.getByTestId('settings-time-zone').fill('Mars/Olympus_Mons');
    await page.getByTestId('settings-window-start').fill('17:00');
    await page.getByTestId('settings-window-end').fill('09:00');
    await page.getByTestId('settings-daily-cap').fill('0');
    await page.getByTestId('settings-save').click();
    await page.getByTestId('error-time_zone').waitFor();
    expect(await page.getByTestId('settings-time-zone').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('settings-time-zone').inputValue()).toBe('Mars/Olympus_Mons');

    await page.getByTestId('settings-time-zone').fill('America/Chicago');
    await page.getByTestId('settings-save').click();
    // Wait for this answer, not the first one's errors still on the page: typing before it
    // arrives would be replaced by the form it re-creates.
    await expect.poll(() => page.getByTestId('error-time_zone').count()).toBe(0);
    const windowOrCap = page.locator(
      '[data-testid="error-window_end"], [data-testid="error-window_start"], [data-testid="error-daily_cap"]',
    );
    await expect.poll(() => windowOrCap.count()).toBeGreaterThan(0);

    await page.getByTestId('settings-window-start').fill('08:30');
    await page.getByTestId('settings-window-end').fill('18:00');
    await page.getByTestId('settings-daily-cap').fill('40');
    await page.getByTestId('day-6').check();
    await page.getByTestId('settings-holidays').fill('2026-12-25\n2027-01-01');
    expect(await page.getByTestId('account-name').inputValue()).toBe('Sam Settings');
    expect(await page.getByTestId('account-email').textContent()).toBe(`sam-${stamp}@example.com`);
    expect(await page.getByTestId('settings-review-by-default').isChecked()).toBe(false);
    await page.getByTestId('settings-review-by-default').check();
    await page.getByTestId('settings-signature').fill('Sam Settings\nSettings Realty');
    await page.getByTestId('settings-postal-address').fill('100 Main St\nSpringfield, IL 62701');
    await page.getByTestId('settings-save').click();
    await expect.poll(() => page.getByTestId('toast').textContent()).toContain('Settings saved');
    expect(await page.locator('.field-error').count()).toBe(0);

    await go(page, '/settings');
    expect(await page.getByTestId('settings-time-zone').inputValue()).toBe('America/Chicago');
    expect(await page.getByTestId('settings-window-start').inputValue()).toBe('08:30');
    expect(await page.getByTestId('settings-daily-cap').inputValue()).toBe('40');
    expect(await page.getByTestId('day-6').isChecked()).toBe(true);
    expect(await page.getByTestId('settings-holidays').inputValue()).toBe('2026-12-25\n2027-01-01');
    expect(await page.getByTestId('settings-review-by-default').isChecked()).toBe(true);
    expect(await page.getByTestId('settings-signature').inputValue()).toBe('Sam Settings\nSettings Realty');
    expect(await page.getByTestId('settings-postal-address').inputValue()).toBe('100 Main St\nSpringfield, IL 62701');
    await shoot(page, 'settings');

    // Unticked and emptied: off and cleared.
    await page.getByTestId('settings-review-by-default').uncheck();
    await page.getByTestId('settings-signature').fill('');
    await page.getByTestId('settings-save').click();
    await expect.poll(() => page.getByTestId('toast').textContent()).toContain('Settings saved');
    await go(page, '/settings');
    expect(await page.getByTestId('settings-review-by-default').isChecked()).toBe(false);
    expect(await page.getByTestId('settings-signature').inputValue()).toBe('');
    expect(await page.getByTestId('settings-postal-address').inputValue()).toBe('100 Main St\nSpringfield, IL 62701');

    // The name emails go out under: renamed here, shown everywhere (the sidebar too) at once.
    await page.getByTestId('account-name').fill('   ');
    await page.getByTestId('save-name').click();
    await expect.poll(() => page.getByTestId('error-name').textContent()).toContain('not saved');
    await page.getByTestId('account-name').fill('Samantha Settings');
    await page.getByTestId('save-name').click();
    await expect.poll(() => page.getByTestId('toast').textContent()).toContain('Name saved');
    await go(page, '/settings');
    expect(await page.getByTestId('account-name').inputValue()).toBe('Samantha Settings');
    expect(await page.locator('nav, aside').first().textContent()).toContain('Samantha Settings');

    await ctx.close();
    expect(problems).toEqual([]);
  }, 120_000);

  it('a plan made in the editor (two steps, reordered) → a client enrolled from its page → paused, resumed → lost: every step says why', async () => {
    const stamp = Date.now().toString(36);
    const ctx = await browser.newContext({ viewport: DESKTOP, timezoneId: 'America/New_York' });
    // 400: the step with a negative offset.
    const page = await newPage(ctx, [400]);
    await signUp(page, 'Pat Planner', `pat-${stamp}@example.com`);

    // Every agent starts with the standard plan.
    await page.getByRole('link', { name: 'Plans' }).first().click();
    await page.waitForURL(`${web.url}/plans`);
    const standard = page.getByTestId('plan-row').filter({ hasText: 'Standard follow-up' });
    await expect.poll(() => standard.count(), { timeout: 15_000 }).toBe(1);
    expect(await standard.getByTestId('plan-default').count()).toBe(1);
    expect(await standard.getByTestId('plan-steps').textContent()).toBe('5');

    // A new plan: a call reminder, then (moved above it) an email at 02:00 — outside the window.
    await page.getByTestId('new-plan').click();
    await page.waitForURL(`${web.url}/plans/new`);
    const planName = `Open house ${stamp}`;
    await page.getByTestId('plan-name').fill(planName);
    expect(await page.getByTestId('stop-lost').isChecked()).toBe(true);
    expect(await page.getByTestId('stop-closed').isChecked()).toBe(true);
    expect(await page.getByTestId('plan-on-reply').inputValue()).toBe('end');
    await page.getByTestId('plan-on-reply').selectOption('pause');
    await step(page, 0).getByTestId('step-label').fill('Call them');
    await step(page, 0).getByTestId('step-offset').fill('5');
    await step(page, 0).getByTestId('step-action').selectOption('task');
    expect(await step(page, 0).textContent()).toContain('A reminder for you to call or text.');
    await page.getByTestId('add-step').click();
    await expect.poll(() => page.getByTestId('plan-step').count()).toBe(2);
    await step(page, 1).getByTestId('step-label').fill('Thank you');
    await step(page, 1).getByTestId('step-offset').fill('-2');
    await step(page, 1).getByTestId('step-time').fill('02:00');
    await step(page, 1).getByTestId('step-instructions').fill('Thank them for coming to the open house; two lines.');
    await step(page, 1).getByTestId('step-up').click();
    expect(await labels(page)).toEqual(['Thank you', 'Call them']);

    // The negative offset comes back on its own field (pointer /steps/0/offset_days).
    await page.getByTestId('plan-create').click();
    await step(page, 0).getByTestId('step-offset-error').waitFor();
    expect(await step(page, 0).getByTestId('step-offset').getAttribute('aria-invalid')).toBe('true');
    expect(await step(page, 1).getByTestId('step-offset').getAttribute('aria-invalid')).toBeNull();
    expect(await labels(page)).toEqual(['Thank you', 'Call them']);
    await step(page, 0).getByTestId('step-offset').fill('2');
    await page.getByTestId('plan-create').click();
    await page.waitForURL(/\/plans\/[0-9a-f-]{36}$/);
    const planId = page.url().split('/').pop()!;
    await page.waitForSelector('html[data-hydrated="true"]');
    expect(await page.getByTestId('plan-title').textContent()).toBe(planName);
    expect(await labels(page)).toEqual(['Thank you', 'Call them']);
    expect(await page.getByTestId('plan-on-reply').inputValue()).toBe('pause');
    const ids = await page.getByTestId('plan-step').evaluateAll((els) => els.map((e) => e.getAttribute('data-step-id')));
    expect(ids.every((id) => id && /^[a-z0-9][a-z0-9-]*$/.test(id))).toBe(true);

    // Preview an edit (nobody is on it yet), then save it for new enrolments: version 2, ids kept.
    await step(page, 1).getByTestId('step-label').fill('Call them back');
    await page.getByTestId('plan-preview-button').click();
    await expect.poll(() => page.getByTestId('plan-preview').textContent()).toBeTruthy();
    expect(await step(page, 1).getByTestId('step-label').inputValue()).toBe('Call them back');
    await page.getByTestId('plan-save-new').click();
    await expect.poll(() => page.getByTestId('plan-version').textContent()).toBe('Version 2');
    expect(await labels(page)).toEqual(['Thank you', 'Call them back']);
    expect(await page.getByTestId('plan-step').evaluateAll((els) => els.map((e) => e.getAttribute('data-step-id')))).toEqual(ids);
    await shoot(page, 'plan');

    // A client added on no plan, then enrolled from its page.
    await go(page, '/clients/new');
    await page.getByLabel('Full name').fill('Jordan Reyes');
    await page.getByLabel('Email').fill(`jordan-${stamp}@example.com`);
    expect(await page.getByTestId('field-plan').inputValue()).not.toBe('none'); // the default plan is preselected
    await page.getByTestId('field-plan').selectOption('none');
    await page.getByTestId('client-save').click();
    await page.waitForURL(/\/clients\/[0-9a-f-]{36}$/);
    await page.waitForSelector('html[data-hydrated="true"]');
    const automation = page.getByTestId('client-automation');
    await automation.getByTestId('enrollment-none').waitFor();
    await page.waitForTimeout(500);
    expect(await page.getByTestId('task-row').count()).toBe(0);

    await automation.getByTestId('enroll-plan').selectOption(planId);
    await automation.getByTestId('enroll-submit').click();
    const enrollment = automation.getByTestId('enrollment');
    await expect.poll(() => enrollment.getAttribute('data-status'), { timeout: 15_000 }).toBe('active');
    expect(await automation.getByTestId('enrollment-plan').textContent()).toBe(planName);
    await expect.poll(() => page.getByTestId('task-row').count(), { timeout: 15_000 }).toBe(2);
    expect(await page.getByTestId('task-type').allTextContents()).toEqual(['Thank you', 'Call them back']);

    // Why "Thank you" goes when it goes: planned from the plan, moved out of the night by the window.
    const thanks = taskRow(page, 'Thank you');
    const thanksTrail = await trailOf(thanks);
    await expect.poll(thanksTrail).toHaveLength(2);
    const [planned, moved] = await thanksTrail();
    expect(planned).toMatch(new RegExp(`^Planned from '${planName}' v2, step 1 \\(Thank you\\) on [A-Z][a-z]{2} \\d{1,2}\\.$`));
    expect(moved).toMatch(/^Moved from [A-Z][a-z]{2} 02:00 to [A-Z][a-z]{2} \d{2}:\d{2} by the sending window \(America\/New_York\)\.$/);

    // Pause: the steps wait (held), the dashboard counts them; resume: they're planned again.
    await automation.getByTestId('enrollment-pause').click();
    await expect.poll(() => enrollment.getAttribute('data-status'), { timeout: 15_000 }).toBe('paused');
    await expect.poll(thanksTrail, { timeout: 15_000 }).toContain('Held: the plan is paused.');
    const clientUrl = page.url().replace(web.url, '');
    await go(page, '/');
    await expect.poll(() => page.getByTestId('held-paused').getAttribute('data-count'), { timeout: 15_000 }).toBe('2');
    await go(page, clientUrl);
    expect(await page.getByTestId('task-held').count()).toBe(2);
    await automation.getByTestId('enrollment-resume').click();
    await expect.poll(() => enrollment.getAttribute('data-status'), { timeout: 15_000 }).toBe('active');
    await expect.poll(() => page.getByTestId('task-held').count(), { timeout: 15_000 }).toBe(0);
    const thanksAgain = await trailOf(taskRow(page, 'Thank you'));

    // Lost: the plan ends, its pending steps are cancelled, and each one says why.
    await page.getByTestId('stage-select').selectOption('lost');
    await expect.poll(() => enrollment.getAttribute('data-status'), { timeout: 15_000 }).toBe('ended');
    expect(await automation.getByTestId('enrollment-detail').textContent()).toContain('because the client was marked lost');
    const rows = page.getByTestId('task-row');
    await expect
      .poll(() => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-status'))), { timeout: 15_000 })
      .toEqual(['cancelled', 'cancelled']);
    const call = await trailOf(taskRow(page, 'Call them back'));
    await expect.poll(async () => (await call()).at(-1), { timeout: 15_000 }).toBe('Cancelled because the stage became lost.');
    await expect.poll(async () => (await thanksAgain()).at(-1), { timeout: 15_000 }).toBe('Cancelled because the stage became lost.');
    await shoot(page, 'automation');

    // The task's own page tells the same story without JavaScript's help.
    const callHref = await taskRow(page, 'Call them back').getByTestId('task-why').getAttribute('href');
    await go(page, callHref!);
    expect(await page.getByTestId('task-page-trail').locator('[data-testid="trail-item"] .text').allTextContents()).toContain(
      'Cancelled because the stage became lost.',
    );

    await ctx.close();
    expect(problems).toEqual([]);
  }, 240_000);
});
