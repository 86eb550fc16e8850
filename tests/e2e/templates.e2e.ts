import {
  createWebhookSigner,
  type FakeOpenAI,
  type FakeSendGrid,
  type Stack,
  startFakeOpenAI,
  startFakeSendGrid,
  startStack,
} from '@realtoros/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserHelpers, DESKTOP, launchChromium } from './browser.ts';
import { startWebApp, type WebApp } from './web-app.ts';

/**
 * The agent's email templates in a real browser against the real stack (every service as its
 * own process, OpenAI and SendGrid as local fakes): write one with the merge-field chips, see
 * an unknown field refused inline, rename it, send it "as is" to a client from the manual
 * email page, pick it on a plan step, delete it.
 */
describe('email templates in a browser', () => {
  let stack: Stack;
  let openai: FakeOpenAI;
  let sendgrid: FakeSendGrid;
  let web: WebApp;
  let browser: Browser;
  const { problems, newPage, go, signUp, shoot } = browserHelpers(() => web.url);

  beforeAll(async () => {
    browser = await launchChromium();
    [openai, sendgrid] = await Promise.all([startFakeOpenAI(), startFakeSendGrid()]);
    const signer = createWebhookSigner();
    stack = await startStack(['projector', 'crm', 'scheduler', 'ai-agent', 'mailer', 'gateway'], {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: openai.baseUrl,
      OPENAI_MODEL: 'gpt-test',
      OPENAI_MAX_RETRIES: '1',
      OPENAI_TIMEOUT_MS: '3000',
      SENDGRID_API_KEY: 'SG.test',
      SENDGRID_BASE_URL: sendgrid.url,
      SENDGRID_WEBHOOK_PUBLIC_KEY: signer.publicKey,
      MAILER_RETRY_BASE_MS: '50',
      MAILER_ACK_WAIT_MS: '3000',
    });
    web = await startWebApp({ DATABASE_URL: stack.env.DATABASE_URL!, JWT_SECRET: stack.env.JWT_SECRET!, GATEWAY_URL: stack.api });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.dispose();
    await Promise.all([openai?.close(), sendgrid?.close()]);
  });

  const rowNames = (page: Page) => page.locator('[data-testid="template-row"] strong').allTextContents();
  const chip = (page: Page, field: string) => page.locator(`[data-testid="merge-chip"][data-field="${field}"]`);

  it('templates → an unknown field refused inline → saved with chips → renamed → sent as is to a client → picked on a plan step → deleted', async () => {
    const stamp = Date.now().toString(36);
    const ctx = await browser.newContext({ viewport: DESKTOP, timezoneId: 'America/New_York' });
    // 400: the body with an unknown merge field.
    const page = await newPage(ctx, [400]);
    const agentEmail = `avery-${stamp}@example.com`;
    await signUp(page, 'Avery Agent', agentEmail);
    const agentId = (await stack.database.db.selectFrom('agents').select('id').where('email', '=', agentEmail).executeTakeFirstOrThrow())
      .id;
    const storedTemplates = () =>
      stack.database.db
        .selectFrom('templates')
        .select(['id', 'name'])
        .where('agent_id', '=', agentId)
        .where('is_deleted', '=', false)
        .execute();

    // Sidebar → Templates: none yet, the editor below.
    await page.getByRole('link', { name: 'Templates' }).first().click();
    await page.waitForURL(`${web.url}/templates`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Email templates');
    expect(await page.getByTestId('template-row').count()).toBe(0);
    expect(await chip(page, 'first_name').count()).toBe(1);

    // Name, then the subject with a field inserted at its cursor by a chip.
    await page.getByTestId('template-name').fill('Open house');
    await page.getByTestId('template-subject').fill('Open house at ');
    await chip(page, 'property_address').click();
    expect(await page.getByTestId('template-subject').inputValue()).toBe('Open house at {{ property_address }}');

    // A body with a field that does not exist: the gateway's 400 shows on the body, nothing is saved.
    await page.getByTestId('template-body').fill('Hi {{ first_name }},\n\nWhat size? {{ shoe_size }}\n');
    await page.getByTestId('template-save').click();
    await page.getByTestId('template-body-error').waitFor();
    expect(await page.getByTestId('template-body-error').textContent()).toContain('shoe_size');
    expect(await page.getByTestId('template-body').getAttribute('aria-invalid')).toBe('true');
    expect(page.url()).toBe(`${web.url}/templates`);
    expect(await page.getByTestId('template-name').inputValue()).toBe('Open house');
    expect(await page.getByTestId('template-subject').inputValue()).toBe('Open house at {{ property_address }}');
    expect(await page.getByTestId('template-row').count()).toBe(0);
    expect(await storedTemplates()).toEqual([]);

    // The good body: {{first_name}} typed without spaces, a fallback, and {{ agent_name }} from its chip at the end.
    await page
      .getByTestId('template-body')
      .fill('Hi {{first_name}},\n\nJoin me this Saturday, and bring {{ custom.partner | a friend }}.\n\nSee you there,\n');
    await page.getByTestId('template-body').press('Control+End');
    await chip(page, 'agent_name').click();
    const body = await page.getByTestId('template-body').inputValue();
    expect(body).toBe(
      'Hi {{first_name}},\n\nJoin me this Saturday, and bring {{ custom.partner | a friend }}.\n\nSee you there,\n{{ agent_name }}',
    );
    await page.getByTestId('template-save').click();
    await page.waitForURL(/\/templates\/[0-9a-f-]{36}$/);
    await page.waitForSelector('html[data-hydrated="true"]');
    const templateId = page.url().split('/').pop()!;
    await expect.poll(() => page.getByTestId('toast').textContent()).toContain('Template “Open house” saved');
    expect(await page.getByTestId('template-title').textContent()).toBe('Open house');
    expect(await page.getByTestId('template-subject').inputValue()).toBe('Open house at {{ property_address }}');
    expect(await page.getByTestId('template-body').inputValue()).toBe(body);
    expect(await page.getByTestId('template-body-error').count()).toBe(0);
    // The editor, for the README (without the toast over it).
    await page.getByTestId('toast').getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => page.getByTestId('toast').count()).toBe(0);
    await shoot(page, 'templates');

    // Rename it: saved as version 2, and the list says so.
    await page.getByTestId('template-name').fill('Open house invite');
    await page.getByTestId('template-save').click();
    await expect.poll(() => page.getByTestId('template-saved').textContent()).toContain('version 2');
    await expect.poll(() => page.getByTestId('template-title').textContent()).toBe('Open house invite');
    await page.getByRole('link', { name: 'Templates' }).first().click();
    await page.waitForURL(`${web.url}/templates`);
    await expect.poll(() => rowNames(page)).toEqual(['Open house invite']);
    expect(await page.getByTestId('template-row').textContent()).toContain('Open house at {{ property_address }}');

    // A client, through the page (on no plan: nothing else is sent to them).
    await go(page, '/clients/new');
    await page.getByLabel('Full name').fill('Morgan Ellis');
    const clientEmail = `morgan-${stamp}@example.com`;
    await page.getByLabel('Email').fill(clientEmail);
    await page.getByLabel('Property address').fill('12 Oak Street');
    await page.getByTestId('field-plan').selectOption('none');
    await page.getByTestId('client-save').click();
    await page.waitForURL(/\/clients\/[0-9a-f-]{36}$/);
    const clientId = page.url().split('/').pop()!;

    // Emails → write one: the template as is, filled in for Morgan, then sent.
    await page.getByRole('link', { name: 'Emails' }).first().click();
    await page.waitForURL(/\/emails(\?|$)/);
    await page.waitForSelector('html[data-hydrated="true"]');
    await page.getByTestId('compose-email').click();
    await page.waitForURL(/\/emails\/new/);
    await page.waitForSelector('html[data-hydrated="true"]');
    await page.getByTestId('compose-client').selectOption(clientId);
    await page.getByTestId('compose-template').selectOption({ label: 'Open house invite' });
    await page.getByTestId('compose-template-use').selectOption('as_is');
    const aiCallsBefore = openai.completions().length;
    await page.getByTestId('compose-generate').click();
    await expect.poll(() => page.getByTestId('compose-subject').inputValue(), { timeout: 15_000 }).toBe('Open house at 12 Oak Street');
    expect(await page.getByTestId('compose-body').inputValue()).toBe(
      'Hi Morgan,\n\nJoin me this Saturday, and bring a friend.\n\nSee you there,\nAvery Agent',
    );
    expect(openai.completions().length).toBe(aiCallsBefore);
    await page.getByTestId('compose-send').click();
    await page.waitForURL(`${web.url}/emails?client_id=${clientId}`);
    await expect.poll(() => page.getByTestId('toast').textContent()).toContain('Morgan Ellis');

    // SendGrid got exactly one email for Morgan, the merge fields filled.
    const sendsTo = () => sendgrid.sends().filter((r) => sendgrid.mailOf(r).personalizations?.[0]?.to?.[0]?.email === clientEmail);
    await expect.poll(() => sendsTo().length, { timeout: 20_000, message: 'the email reaches SendGrid' }).toBe(1);
    const mail = sendgrid.mailOf(sendsTo()[0]!);
    expect(mail.subject).toBe('Open house at 12 Oak Street');
    const text = mail.content?.find((c) => c.type === 'text/plain')?.value ?? '';
    expect(text).toContain('Hi Morgan,');
    expect(text).toContain('Avery Agent');
    expect(text).toContain('bring a friend');
    expect(text).not.toContain('{{');
    await page.waitForTimeout(500);
    expect(sendsTo()).toHaveLength(1);

    // Plans → the default plan → its first step uses the template; kept after a reload.
    await page.getByRole('link', { name: 'Plans' }).first().click();
    await page.waitForURL(`${web.url}/plans`);
    const standard = page.getByTestId('plan-row').filter({ hasText: 'Standard follow-up' });
    await expect.poll(() => standard.count(), { timeout: 15_000 }).toBe(1);
    await standard.getByRole('link').first().click();
    await page.waitForURL(/\/plans\/[0-9a-f-]{36}$/);
    await page.waitForSelector('html[data-hydrated="true"]');
    const version = await page.getByTestId('plan-version').textContent();
    const first = page.getByTestId('plan-step').first();
    expect(await first.getByTestId('step-template').inputValue()).toBe('');
    expect(await first.getByTestId('step-template-use').count()).toBe(0);
    await first.getByTestId('step-template').selectOption({ label: 'Open house invite' });
    expect(await first.getByTestId('step-template-use').inputValue()).toBe('as_is');
    await page.getByTestId('plan-save-new').click();
    await expect.poll(() => page.getByTestId('plan-version').textContent()).not.toBe(version);
    expect(await page.getByTestId('form-error').count()).toBe(0);
    await page.reload();
    await page.waitForSelector('html[data-hydrated="true"]');
    expect(await page.getByTestId('plan-step').first().getByTestId('step-template').inputValue()).toBe(templateId);
    expect(await page.getByTestId('plan-step').first().getByTestId('step-template-use').inputValue()).toBe('as_is');
    const planUrl = page.url();

    // Delete the template, confirmed in its dialog: gone from the list.
    await go(page, `/templates/${templateId}`);
    await page.getByTestId('delete-template').click();
    await page.getByTestId('delete-template-dialog').waitFor();
    expect(await page.getByTestId('delete-template-dialog').textContent()).toContain('Delete “Open house invite”?');
    await page.getByTestId('confirm-delete-template').click();
    await page.waitForURL(`${web.url}/templates`);
    await expect.poll(() => page.getByTestId('toast').textContent()).toContain('deleted');
    expect(await page.getByTestId('template-row').count()).toBe(0);
    await expect.poll(() => storedTemplates()).toEqual([]);

    // The plan step now names a deleted template.
    await page.goto(planUrl);
    await page.waitForSelector('html[data-hydrated="true"]');
    const picker = page.getByTestId('plan-step').first().getByTestId('step-template');
    expect(await picker.inputValue()).toBe(templateId);
    expect(await picker.locator('option:checked').textContent()).toBe('(deleted template)');

    await ctx.close();
    expect(problems).toEqual([]);
  }, 240_000);
});
