import { connect } from '@nats-io/transport-node';
import { createEventStore, newEvent } from '@realtoros/messaging';
import {
  createWebhookSigner,
  type FakeOpenAI,
  type FakeSendGrid,
  type Stack,
  sendGridEvent,
  startFakeOpenAI,
  startFakeSendGrid,
  startStack,
  type WebhookSigner,
} from '@realtoros/testing';
import type { Browser } from 'playwright-core';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserHelpers, DESKTOP, launchChromium } from './browser.ts';
import { startWebApp, type WebApp } from './web-app.ts';

/**
 * The agents' dashboard in a real browser (Debian's Chromium, headless) against the real
 * stack: every service as its own process on its own NATS and Postgres, OpenAI and SendGrid
 * as local fakes, the web app built and served as in production. Nothing is reloaded by hand:
 * what changes on the server must reach the page through the live stream.
 */
describe('the agents’ dashboard in a browser', () => {
  let stack: Stack;
  let openai: FakeOpenAI;
  let sendgrid: FakeSendGrid;
  let signer: WebhookSigner;
  let web: WebApp;
  let browser: Browser;
  const { problems, newPage, go, signUp, shoot } = browserHelpers(() => web.url);

  beforeAll(async () => {
    browser = await launchChromium();
    [openai, sendgrid] = await Promise.all([startFakeOpenAI(), startFakeSendGrid()]);
    signer = createWebhookSigner();
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

  it('sign up → client (invalid, then valid) → five follow-ups → Day 1 now → sent and opened live → search, filter → delete; another agent sees none of it', async () => {
    const stamp = Date.now().toString(36);
    const ctx = await browser.newContext({ viewport: DESKTOP, timezoneId: 'America/New_York' });
    // 400: the invalid client; 401: the wrong password.
    const page = await newPage(ctx, [400, 401]);

    // A wrong password is an inline error.
    await go(page, '/login');
    await page.getByLabel('Email').fill(`nobody-${stamp}@example.com`);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByTestId('form-error').textContent()).toContain('don’t match');

    await signUp(page, 'Avery Agent', `avery-${stamp}@example.com`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toMatch(/Avery/);

    // New client: the API's problem details show inline, on the field.
    await page.getByRole('link', { name: 'New client' }).first().click();
    await page.waitForURL(`${web.url}/clients/new`);
    await page.getByLabel('Full name').fill('Morgan Ellis');
    await page.getByLabel('Email').fill('morgan-at-example');
    await page.getByLabel('Property type').selectOption('residential');
    await page.getByLabel('Notes').fill('Wants a garden and a short commute.');
    await page.getByTestId('client-save').click();
    await expect.poll(() => page.getByTestId('error-email').textContent()).toBeTruthy();
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    expect(page.url()).toBe(`${web.url}/clients/new`);

    const clientEmail = `morgan-${stamp}@example.com`;
    await page.getByLabel('Email').fill(clientEmail);
    await page.getByTestId('client-save').click();
    await page.waitForURL(/\/clients\/[0-9a-f-]{36}$/);
    const clientId = page.url().split('/').pop()!;

    // The five planned follow-ups arrive on the page by themselves.
    const rows = page.getByTestId('task-row');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(5);
    // As a set: the list is in time order, and a step the sending window moves can share a
    // slot with a later one (enrolled on a Friday: Day 1 is Saturday → Monday, Day 3 is that
    // Monday too), so the order of those two on the page is not fixed.
    expect((await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-followup-type')))).sort()).toEqual([
      'Day 1',
      'Day 3',
      'Month 1',
      'Week 1',
      'Week 2',
    ]);
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))).toEqual(Array(5).fill('pending'));

    // Reschedule Day 1 to now with the date-time picker (the browser's own time zone).
    const day1 = page.locator('[data-testid="task-row"][data-followup-type="Day 1"]');
    await day1.getByTestId('task-reschedule').click();
    const nowLocal = await page.evaluate(() => {
      const d = new Date();
      d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
      return d.toISOString().slice(0, 16);
    });
    await day1.getByTestId('task-reschedule-input').fill(nowLocal);
    await day1.getByTestId('task-reschedule-save').click();

    // The email is written, sent, and shows up as sent without a reload.
    const emailRow = page.locator('[data-testid="email-row"]').first();
    await expect
      .poll(() => emailRow.getAttribute('data-status'), { timeout: 30_000, message: 'email sent, shown live' })
      .toMatch(/^(sent|delivered)$/);
    expect(await emailRow.getByTestId('email-status').textContent()).toMatch(/Sent|Delivered/);
    await expect.poll(() => day1.getAttribute('data-status'), { timeout: 10_000 }).toBe('completed');
    const emailId = (await emailRow.getAttribute('data-email-id'))!;
    expect(sendgrid.sends().length).toBeGreaterThanOrEqual(1);

    // A signed "open" from SendGrid: the opened badge appears without a reload, within 2 s.
    const agentId = (
      await stack.database.db.selectFrom('agents').select('id').where('email', '=', `avery-${stamp}@example.com`).executeTakeFirstOrThrow()
    ).id;
    const payload = JSON.stringify([sendGridEvent({ event: 'open', email: clientEmail, email_id: emailId, agent_id: agentId })]);
    const res = await fetch(`${stack.api}/webhook/sendgrid`, { method: 'POST', headers: signer.sign(payload).headers, body: payload });
    expect(res.status).toBe(200);
    const accepted = Date.now();
    await page.locator(`[data-testid="email-row"][data-email-id="${emailId}"] [data-testid="email-opened"]`).waitFor({ timeout: 2000 });
    const openedAfterMs = Date.now() - accepted;
    expect(openedAfterMs).toBeLessThanOrEqual(2000);
    expect(await page.getByTestId('client-timeline').getByText('Email opened').count()).toBeGreaterThan(0);

    // Screenshots with real data: client page, dashboard, emails.
    await shoot(page, 'client');
    await go(page, '/');
    await expect.poll(() => page.getByTestId('kpi-open-rate').textContent()).toContain('100%');
    await shoot(page, 'dashboard');
    await go(page, '/emails');
    await page.locator('[data-testid="email-row"] [data-testid="email-opened"]').first().waitFor();
    await shoot(page, 'emails');

    // Search and the stage filter find the client; both live in the URL.
    await go(page, '/clients');
    await page.getByTestId('client-search').fill('Morgan');
    await page.waitForURL(/[?&]q=Morgan/);
    await expect.poll(() => page.getByTestId('client-row').count()).toBe(1);
    await page.getByTestId('filter-stage').selectOption('lead');
    await page.waitForURL(/stage=lead/);
    await expect.poll(() => page.locator(`[data-testid="client-row"][data-client-id="${clientId}"]`).count()).toBe(1);
    await page.getByTestId('filter-stage').selectOption('closed');
    await page.waitForURL(/stage=closed/);
    await expect.poll(() => page.getByTestId('client-row').count()).toBe(0);
    await page.goBack();
    await page.waitForURL(/stage=lead/);
    await expect.poll(() => page.getByTestId('client-row').count()).toBe(1);

    // "Export CSV" downloads the list as filtered (the session's cookie, the gateway's CSV).
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-clients').click()]);
    expect(download.suggestedFilename()).toBe('clients.csv');
    const exported = await new Promise<string>((resolve, reject) => {
      void download.createReadStream().then((stream) => {
        let text = '';
        stream
          .on('data', (c: Buffer) => (text += c.toString('utf8')))
          .on('end', () => resolve(text))
          .on('error', reject);
      }, reject);
    });
    expect(exported.split('\n')[0]).toContain('id,name,email');
    expect(exported).toContain(clientEmail);
    expect(exported.trim().split('\n')).toHaveLength(2);

    // Another agent sees none of it.
    const other = await browser.newContext({ viewport: DESKTOP });
    const otherPage = await newPage(other, [404]);
    await signUp(otherPage, 'Blake Other', `blake-${stamp}@example.com`);
    await go(otherPage, '/clients');
    expect(await otherPage.getByTestId('client-row').count()).toBe(0);
    await go(otherPage, '/emails');
    expect(await otherPage.getByTestId('email-row').count()).toBe(0);
    await go(otherPage, '/tasks');
    expect(await otherPage.getByTestId('task-row').count()).toBe(0);
    const foreign = await otherPage.goto(`${web.url}/clients/${clientId}`);
    expect(foreign?.status()).toBe(404);
    expect(await otherPage.getByText('Morgan Ellis').count()).toBe(0);
    await other.close();

    // Delete, with confirmation.
    await go(page, `/clients/${clientId}`);
    await page.getByTestId('delete-client').click();
    await page.getByTestId('confirm-delete').click();
    await page.waitForURL(`${web.url}/clients`);
    await expect.poll(() => page.getByTestId('toast').textContent()).toContain('deleted');
    expect(await page.locator(`[data-testid="client-row"][data-client-id="${clientId}"]`).count()).toBe(0);

    await ctx.close();
    expect(problems).toEqual([]);
    console.log(`opened badge shown ${openedAfterMs} ms after the webhook was accepted`);
  }, 240_000);

  it('an email whose send outcome is unknown is explained; the agent sends it again or marks it as sent, and sees it sent live', async () => {
    const stamp = Date.now().toString(36);
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const page = await newPage(ctx);
    const agentEmail = `riley-${stamp}@example.com`;
    await signUp(page, 'Riley Agent', agentEmail);
    const login = await fetch(`${stack.api}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: agentEmail, password: 'correct-horse-1' }),
    });
    const { agent, token } = (await login.json()) as { agent: { id: string }; token: string };

    // Two emails (written as the ai-agent would) that SendGrid accepts while the mailer is
    // killed before it hears back: both become unknown.
    const nc = await connect({ servers: stack.nats.url });
    const store = await createEventStore(nc);
    sendgrid.script({ status: 202, hang: true }, { status: 202, hang: true });
    const before = sendgrid.sends().length;
    const ids: string[] = [];
    for (const name of ['Casey Hart', 'Drew Lane']) {
      const to = `${name.split(' ')[0]!.toLowerCase()}-${stamp}@example.com`;
      const res = await fetch(`${stack.api}/api/clients`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ name, email: to }),
      });
      expect(res.status).toBe(201);
      const id = uuidv7();
      await store.append(
        newEvent('EmailGenerated', {
          agentId: agent.id,
          aggregateId: id,
          correlationId: 't',
          causationId: null,
          data: {
            task_id: null,
            client_id: ((await res.json()) as { id: string }).id,
            followup_type: 'Custom',
            to_email: to,
            to_name: name,
            subject: `Checking in, ${name.split(' ')[0]}`,
            body: 'Hi,\n\nJust checking in.\n\nRiley',
            provider: 'manual',
            model: 'agent',
            prompt_version: 'followup-v1',
            fallback_reason: null,
          },
        }),
      );
      ids.push(id);
    }
    await nc.close();
    await expect.poll(() => sendgrid.sends().length - before, { timeout: 15_000 }).toBe(2);
    await page.waitForTimeout(300);
    await stack.stop('mailer', 'SIGKILL');
    await stack.start('mailer');
    const [again, delivered] = ids as [string, string];

    await go(page, '/emails');
    const row = (id: string) => page.locator(`[data-testid="email-row"][data-email-id="${id}"]`);
    for (const id of ids) await expect.poll(() => row(id).getAttribute('data-status'), { timeout: 20_000 }).toBe('unknown');
    expect(await row(again).getByTestId('email-unknown').textContent()).toContain(
      "We can't tell whether this email went out: the mailer stopped while SendGrid was answering.",
    );

    // "Send again": one more send reaches SendGrid and the row turns sent by itself.
    await row(again).getByTestId('email-resend').click();
    await expect.poll(() => page.getByTestId('toast').textContent()).toContain('Sending the email again');
    await expect.poll(() => row(again).getAttribute('data-status'), { timeout: 20_000 }).toBe('sent');
    expect(sendgrid.sends().length - before).toBe(3);
    expect(await row(again).getByTestId('email-unknown').count()).toBe(0);

    // "It was delivered — mark as sent" on the email's own page: nothing is sent.
    await go(page, `/emails/${delivered}`);
    await page.getByRole('button', { name: 'It was delivered — mark as sent' }).click();
    await expect.poll(() => page.getByTestId('email-status').getAttribute('data-value'), { timeout: 10_000 }).toBe('sent');
    expect(await page.getByTestId('email-unknown').count()).toBe(0);
    await page.waitForTimeout(1000);
    expect(sendgrid.sends().length - before).toBe(3);

    await ctx.close();
    expect(problems).toEqual([]);
  }, 120_000);
});
