import { type FakeSendGrid, postInbound, type Stack, startFakeSendGrid, startStack, waitFor } from '@realtoros/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../api/http.ts';
import { browserHelpers, DESKTOP, launchChromium } from './browser.ts';
import { startWebApp, type WebApp } from './web-app.ts';

/**
 * The review queue in a real browser against the whole stack: with "review every automated
 * email" on, the plan's Day 1 waits as a draft; the agent edits and approves it from the queue
 * (the navigation counts it), and SendGrid (the fake) receives exactly that text, once.
 */
const INBOUND_SECRET = 'inbound-secret-for-the-browser-test';

describe('review queue in a browser', () => {
  let stack: Stack;
  let web: WebApp;
  let browser: Browser;
  let sendgrid: FakeSendGrid;
  const { problems, newPage, go, signUp, shoot } = browserHelpers(() => web.url);

  beforeAll(async () => {
    browser = await launchChromium();
    sendgrid = await startFakeSendGrid();
    stack = await startStack(['projector', 'crm', 'scheduler', 'ai-agent', 'mailer', 'gateway'], {
      SENDGRID_API_KEY: 'SG.test',
      SENDGRID_BASE_URL: sendgrid.url,
      MAILER_RETRY_BASE_MS: '50',
      INBOUND_DOMAIN: 'in.realtoros.test',
      INBOUND_PARSE_SECRET: INBOUND_SECRET,
      FOLLOWUP_SCHEDULE: JSON.stringify({ 'Day 1': { offset_seconds: 2 }, 'Day 3': { offset_days: 3 }, 'Week 1': { offset_days: 7 }, 'Week 2': { offset_days: 14 }, 'Month 1': { offset_days: 30 } }),
    });
    web = await startWebApp({ DATABASE_URL: stack.env.DATABASE_URL!, JWT_SECRET: stack.env.JWT_SECRET!, GATEWAY_URL: stack.api });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.dispose();
    await sendgrid?.close();
  });

  it('a draft appears in the queue with a count in the navigation; edited and approved there, it is sent once with the edit; the client page shows it in the conversation, and a logged call stops the plan', async () => {
    const stamp = Date.now().toString(36);
    const agentEmail = `rev-${stamp}@example.com`;
    const ctx = await browser.newContext({ viewport: DESKTOP, timezoneId: 'America/New_York' });
    const page = await newPage(ctx);
    await signUp(page, 'Rae Reviewer', agentEmail);
    const login = await apiClient(stack.api).post('/api/auth/login', { email: agentEmail, password: 'correct-horse-1' });
    const api = apiClient(stack.api, login.body.token);
    expect((await api.patch('/api/settings', { review_by_default: true })).status).toBe(200);
    const clientEmail = `kim.${stamp}@example.com`;
    expect((await api.post('/api/clients', { name: 'Kim Draft', email: clientEmail, stage: 'qualified' })).status).toBe(201);
    await waitFor(async () => (await api.get('/api/review')).body.total === 1, { timeoutMs: 30_000, what: 'the draft waits' });

    await go(page, '/review');
    expect(await page.getByTestId('nav-review-count').textContent()).toBe('1');
    const item = page.getByTestId('review-item');
    await item.waitFor();
    expect(await item.textContent()).toContain('Kim Draft');
    expect(sendgrid.accepted()).toHaveLength(0);
    await shoot(page, 'review');
    await item.getByTestId('review-subject').fill('Lovely to meet you, Kim');
    await item.getByTestId('review-approve').click();
    await expect.poll(() => page.getByTestId('toast').textContent()).toContain('Approved');
    await expect.poll(() => page.getByTestId('review-empty').count()).toBe(1);
    await waitFor(async () => sendgrid.accepted().length === 1, { timeoutMs: 20_000, what: 'sent' });
    expect(sendgrid.mailOf(sendgrid.accepted()[0]!).subject).toBe('Lovely to meet you, Kim');
    expect(await page.getByTestId('nav-review-count').count()).toBe(0);

    // The email's page says where it came from: approved by the agent, the AI's subject kept.
    const emailId = ((await api.get('/api/emails')).body.items as { id: string }[])[0]!.id;
    await go(page, `/emails/${emailId}`);
    await page.getByTestId('email-provenance').waitFor();
    expect(await page.getByTestId('provenance-approved').textContent()).toContain('by you');
    expect(await page.getByTestId('provenance-ai-text').textContent()).not.toContain('Lovely to meet you, Kim');

    // The client's page: the email in the conversation; a logged call that stops the plan.
    const clientId = ((await api.get('/api/clients')).body.items as { id: string }[])[0]!.id;
    await go(page, `/clients/${clientId}`);
    await expect.poll(() => page.getByTestId('conversation-item').count(), { timeout: 15_000 }).toBe(1);
    expect(await page.getByTestId('conversation-item').getAttribute('data-kind')).toBe('sent');
    expect(await page.getByTestId('enrollment').getAttribute('data-status')).toBe('active');
    await page.getByTestId('activity-kind').selectOption('call');
    await page.getByTestId('activity-body').fill('Talked for 20 minutes; she will call back after the holidays.');
    await page.getByTestId('activity-stop').check();
    await page.getByTestId('activity-save').click();
    await expect.poll(() => page.getByTestId('toast').textContent()).toContain('automated follow-ups stopped');
    await expect.poll(() => page.getByTestId('enrollment').getAttribute('data-status'), { timeout: 15_000 }).toBe('ended');
    expect((await api.get(`/api/clients/${clientId}`)).body.enrollment.ended_reason).toBe('conversation');
    await shoot(page, 'conversation');

    // Kim answers; her emails page reads as one thread: our email, then her reply (newest last).
    const sent = sendgrid.mailOf(sendgrid.accepted()[0]!);
    const kim = sent.personalizations?.[0]?.to?.[0]?.email ?? '';
    expect(
      await postInbound(stack.api, INBOUND_SECRET, { from: kim, to: sent.reply_to?.email ?? '', subject: 'Re: Lovely to meet you', text: 'Thanks, talk soon!' }),
    ).toMatchObject({ status: 200, body: { status: 'matched' } });
    await waitFor(async () => ((await api.get(`/api/clients/${clientId}/conversation`)).body.items as unknown[]).length === 2, {
      timeoutMs: 15_000,
      what: 'the reply in the conversation',
    });
    await go(page, `/emails?client_id=${clientId}`);
    const thread = page.getByTestId('client-emails-thread');
    await thread.waitFor();
    expect(await thread.getByTestId('conversation-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))).toEqual(['sent', 'reply']);
    expect(await thread.getByTestId('conversation-item').nth(1).textContent()).toContain('Thanks, talk soon!');
    await shoot(page, 'client-emails-thread');
    await ctx.close();
    expect(problems).toEqual([]);
  }, 120_000);
});
