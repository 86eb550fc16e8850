import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { verifyUnsubscribeToken } from '@realtoros/auth';
import { type Envelope, subjects } from '@realtoros/contracts';
import { type EventStore, newEvent, sendCommand } from '@realtoros/messaging';
import {
  type FakeSendGrid,
  type ServiceProcess,
  sendGridError,
  sendGridEvent,
  startFakeSendGrid,
  startJetStream,
  startService,
  type TestNats,
  waitFor,
} from '@realtoros/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AttemptRecord, openMailerState, readJson, toBytes } from './state.ts';

const JWT_SECRET = 'test-secret-at-least-16-chars';

/**
 * The mailer as its own process on a real JetStream, sending through the real
 * `@sendgrid/mail` to a local fake SendGrid. EmailGenerated events are appended by the test
 * as the ai-agent would.
 */
describe('mailer service', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let store: EventStore;
  let sendgrid: FakeSendGrid;
  let svc: ServiceProcess;
  const agentId = uuidv7();
  const env = () => ({
    NATS_URL: nats.url,
    SENDGRID_API_KEY: 'SG.test-key',
    SENDGRID_BASE_URL: sendgrid.url,
    SENDGRID_FROM_EMAIL: 'followups@realtoros.test',
    JWT_SECRET,
    PUBLIC_BASE_URL: 'https://app.realtoros.test',
    SENDER_POSTAL_ADDRESS: '1 Main St, Springfield',
    MAILER_RETRY_BASE_MS: '50',
    MAILER_ACK_WAIT_MS: '2000',
    MAILER_CONCURRENCY: '2',
    SENDGRID_TIMEOUT_MS: '60000',
  });
  /**
   * Up = it answers commands. The durable consumer outlives a killed process, so "the consumer
   * exists" is true at once after a restart; and the new process starts consuming before it
   * subscribes to commands, so an outcome it records can be seen before anyone answers
   * `resolve_unknown` (that was the "no responders" flake). An empty webhook batch is a no-op.
   */
  const ready = () =>
    waitFor(
      async () => {
        if ((await store.jsm.consumers.info('AI', 'mailer').catch(() => null)) === null) return false;
        const meta = {
          command_id: uuidv7(),
          agent_id: '00000000-0000-0000-0000-000000000000',
          correlation_id: 't',
          issued_at: new Date().toISOString(),
        };
        const reply = await sendCommand(nc, 'mailer', 'record_webhook_events', { events: [] }, meta, { timeoutMs: 1000 }).catch(() => null);
        return reply?.ok === true;
      },
      { what: 'the mailer answering commands', timeoutMs: 20_000 },
    );

  beforeAll(async () => {
    [{ nats, nc, store }, sendgrid] = await Promise.all([startJetStream(['CRM', 'AI', 'MAILER', 'SCHEDULER']), startFakeSendGrid()]);
    await store.append(
      newEvent('AgentRegistered', {
        agentId,
        aggregateId: agentId,
        correlationId: 't',
        causationId: null,
        data: { email: 'jane@agency.example', name: 'Jane Agent', password_hash: 'x' },
      }),
    );
    svc = startService('mailer', env());
    await ready();
  });
  afterAll(async () => {
    await svc?.stop();
    await nc?.close();
    await Promise.all([sendgrid?.close(), nats?.dispose()]);
  });
  beforeEach(() => sendgrid.reset());

  async function client(email = `${uuidv7()}@example.com`, agent = agentId) {
    const id = uuidv7();
    await store.append(
      newEvent('ClientCreated', {
        agentId: agent,
        aggregateId: id,
        correlationId: 't',
        causationId: null,
        data: {
          name: 'Maria Lopez',
          email,
          phone: null,
          property_address: null,
          property_type: null,
          notes: null,
          custom_fields: {},
          stage: 'lead',
        },
      }),
    );
    return { id, email };
  }
  async function generated(c: { id: string; email: string }, taskId: string | null = uuidv7(), emailId = uuidv7(), agent = agentId) {
    await store.append(
      newEvent('EmailGenerated', {
        agentId: agent,
        aggregateId: emailId,
        correlationId: 't',
        causationId: null,
        data: {
          task_id: taskId,
          client_id: c.id,
          followup_type: 'Day 1',
          to_email: c.email,
          to_name: 'Maria Lopez',
          subject: 'Great to connect, Maria',
          body: 'Hi Maria,\n\nThanks for the chat.\n\nJane Agent',
          provider: 'template',
          model: 'template-v1',
          prompt_version: 'followup-v1',
          fallback_reason: null,
        },
      }),
    );
    return emailId;
  }
  async function outcome(emailId: string, agent = agentId): Promise<Envelope[]> {
    return (await store.readSubject('MAILER', subjects.mailedEmail(agent, emailId))).events.map((e) => e.event);
  }
  const waitOutcome = (emailId: string, agent = agentId) =>
    waitFor(async () => (await outcome(emailId, agent))[0], { what: `outcome of ${emailId}`, timeoutMs: 20_000 });
  const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));

  it('sends once through SendGrid with custom args, one-click unsubscribe headers and a visible link → EmailSent with the message id', async () => {
    const c = await client();
    const emailId = await generated(c);
    const sent = await waitOutcome(emailId);
    expect(sent.type).toBe('EmailSent');
    expect(sendgrid.sends()).toHaveLength(1);
    const req = sendgrid.sends()[0]!;
    expect(req.headers.authorization).toBe('Bearer SG.test-key');
    const mail = sendgrid.mailOf(req);
    expect(mail.personalizations?.[0]?.to?.[0]?.email).toBe(c.email);
    expect(mail.from).toEqual({ email: 'followups@realtoros.test', name: 'Jane Agent' });
    expect(mail.reply_to?.email).toBe('jane@agency.example');
    expect(mail.custom_args).toEqual({ email_id: emailId, agent_id: agentId });
    expect(mail.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const link = /^<(https:\/\/app\.realtoros\.test\/unsubscribe\/([A-Za-z0-9_-]+))>$/.exec(mail.headers?.['List-Unsubscribe'] ?? '');
    expect(link).not.toBeNull();
    expect(verifyUnsubscribeToken(JWT_SECRET, link![2])).toEqual({ agent_id: agentId, client_id: c.id, email_id: emailId });
    const text = mail.content?.find((x) => x.type === 'text/plain')?.value ?? '';
    expect(text).toContain(link![1]);
    expect(text).toContain('1 Main St, Springfield');
    expect(mail.content?.find((x) => x.type === 'text/html')?.value).toContain('Unsubscribe</a>');
    expect(sent.data).toMatchObject({ message_id: sendgrid.messageIdOf(req), provider: 'sendgrid', attempts: 1, to_email: c.email });
  });

  it("the agent as sender: the footer carries their own postal address (else the service's), the From their name as last renamed", async () => {
    const other = uuidv7();
    const meta = { agentId: other, aggregateId: other, correlationId: 't', causationId: null };
    await store.append(
      newEvent('AgentRegistered', { ...meta, data: { email: 'sam@agency.example', name: 'Sam Agent', password_hash: 'x' } }),
    );
    await store.append(
      newEvent('AgentSettingsChanged', { ...meta, data: { changes: { postal_address: '77 Agent Ave, Austin TX 78701' } } }),
    );
    await store.append(newEvent('AgentRenamed', { ...meta, data: { name: 'Samantha Agent' } }));
    const c = await client(undefined, other);
    const emailId = await generated(c, uuidv7(), uuidv7(), other);
    expect((await waitOutcome(emailId, other)).type).toBe('EmailSent');
    const mail = sendgrid.mailOf(sendgrid.sends()[0]!);
    const text = mail.content?.find((x) => x.type === 'text/plain')?.value ?? '';
    expect(text).toContain('77 Agent Ave, Austin TX 78701');
    expect(text).not.toContain('1 Main St, Springfield');
    expect(mail.from?.name).toBe('Samantha Agent'); // renamed on the settings page
    expect(mail.content?.find((x) => x.type === 'text/html')?.value).toContain('77 Agent Ave, Austin TX 78701');
  });

  it('SendGrid 500 twice then 202 → sent once, after three attempts', async () => {
    sendgrid.failTimes(2, 500);
    const emailId = await generated(await client());
    const sent = await waitOutcome(emailId);
    expect(sent.type).toBe('EmailSent');
    expect(sent.data).toMatchObject({ attempts: 3 });
    await settle();
    expect(sendgrid.sends()).toHaveLength(3);
    expect(sendgrid.accepted()).toHaveLength(1);
    expect(await outcome(emailId)).toHaveLength(1);
  });

  it('SendGrid 429 three times → EmailFailed after the retries, with the reason', async () => {
    sendgrid.failTimes(3, 429, { 'retry-after': '0' });
    const emailId = await generated(await client());
    const failed = await waitOutcome(emailId);
    expect(failed.type).toBe('EmailFailed');
    expect(failed.data).toMatchObject({ attempts: 3, reason: expect.stringContaining('429') });
  });

  it('SendGrid 400 → EmailFailed with the provider reason, never retried', async () => {
    sendgrid.script({ status: 400, body: sendGridError('The to email does not contain a valid address.', 'personalizations.0.to') });
    const emailId = await generated(await client());
    const failed = await waitOutcome(emailId);
    expect(failed.type).toBe('EmailFailed');
    expect(failed.data).toMatchObject({ attempts: 1, reason: expect.stringContaining('does not contain a valid address') });
    await settle();
    expect(sendgrid.sends()).toHaveLength(1);
  });

  it('killed (SIGKILL) after SendGrid accepted and before the ack → never sent again; marked unknown', async () => {
    sendgrid.script({ status: 202, headers: { 'x-message-id': 'accepted-then-crash' }, hang: true });
    const emailId = await generated(await client());
    await waitFor(async () => sendgrid.sends().length === 1, { what: 'the send to reach SendGrid' });
    await settle(300);
    await svc.stop('SIGKILL');
    svc = startService('mailer', env());
    await ready();
    const unknown = await waitOutcome(emailId);
    expect(unknown.type).toBe('EmailSendUnknown');
    expect(unknown.data).toMatchObject({ reason: expect.stringMatching(/not resent/) });
    await settle(3000); // past another ack wait: still nothing resent
    expect(sendgrid.sends()).toHaveLength(1);
    expect(await outcome(emailId)).toHaveLength(1);
  });

  describe('the agent resolves an unknown email (resolve_unknown)', () => {
    const meta = (agent = agentId) => ({ command_id: uuidv7(), agent_id: agent, correlation_id: 't', issued_at: new Date().toISOString() });
    const resolve = (emailId: string, action: 'resend' | 'mark_sent', agent = agentId) =>
      sendCommand(nc, 'mailer', 'resolve_unknown', { email_id: emailId, action }, meta(agent));
    const types = async (emailId: string) => (await outcome(emailId)).map((e) => e.type);
    /** Kills the mailer while SendGrid holds `sends` accepted requests open; restarts it. */
    async function killDuringSends(sends: number) {
      await waitFor(async () => sendgrid.sends().length === sends, { what: `${sends} sends to reach SendGrid` });
      await settle(300);
      await svc.stop('SIGKILL');
      svc = startService('mailer', env());
      await ready();
    }
    /** `n` (≤ MAILER_CONCURRENCY) emails whose send was interrupted after SendGrid accepted them. */
    async function unknownEmails(n: number) {
      sendgrid.reset();
      for (let i = 0; i < n; i++) sendgrid.script({ status: 202, headers: { 'x-message-id': `accepted-then-crash-${i}` }, hang: true });
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push(await generated(await client()));
      await killDuringSends(n);
      for (const id of ids) expect((await waitOutcome(id)).type).toBe('EmailSendUnknown');
      sendgrid.reset();
      return ids;
    }
    let toResend: string;
    let toMark: string;
    beforeAll(async () => {
      [toResend, toMark] = (await unknownEmails(2)) as [string, string];
    });

    it('resend → sent exactly once more through SendGrid, with the same message; then it is no longer unknown (409)', async () => {
      const reply = await resolve(toResend, 'resend');
      expect(reply).toMatchObject({ ok: true, data: { email_id: toResend, status: 'sending' }, position: { stream: 'MAILER' } });
      const sent = await waitFor(async () => (await outcome(toResend)).find((e) => e.type === 'EmailSent'), {
        what: 'EmailSent after the resend',
        timeoutMs: 20_000,
      });
      expect(await types(toResend)).toEqual(['EmailSendUnknown', 'EmailResendRequested', 'EmailSent']);
      expect(sendgrid.sends()).toHaveLength(1);
      const mail = sendgrid.mailOf(sendgrid.sends()[0]!);
      expect(mail.custom_args).toEqual({ email_id: toResend, agent_id: agentId });
      expect(mail.subject).toBe('Great to connect, Maria');
      expect(sent.data).toMatchObject({ message_id: sendgrid.messageIdOf(sendgrid.sends()[0]!), provider: 'sendgrid', attempts: 1 });
      expect(sent.data).not.toHaveProperty('confirmed_by');
      await settle(3000); // past another ack wait: nothing more goes out
      expect(sendgrid.sends()).toHaveLength(1);
      expect(await types(toResend)).toHaveLength(3);
      expect(await resolve(toResend, 'resend')).toMatchObject({ ok: false, error: { code: 'illegal_transition' } });
      expect(await resolve(toResend, 'mark_sent')).toMatchObject({ ok: false, error: { code: 'illegal_transition' } });
    });

    it('mark_sent → EmailSent confirmed by the agent, message id unknown; nothing is sent', async () => {
      const reply = await resolve(toMark, 'mark_sent');
      expect(reply).toMatchObject({ ok: true, data: { email_id: toMark, status: 'sent' } });
      const events = await outcome(toMark);
      expect(events.map((e) => e.type)).toEqual(['EmailSendUnknown', 'EmailSent']);
      expect(events[1]!.data).toMatchObject({
        confirmed_by: 'agent',
        message_id: 'unknown',
        provider: 'sendgrid',
        attempts: 1,
        task_id: (events[0]!.data as { task_id: string | null }).task_id,
      });
      await settle(2500);
      expect(sendgrid.sends()).toHaveLength(0);
      expect(await resolve(toMark, 'resend')).toMatchObject({ ok: false, error: { code: 'illegal_transition' } });
      expect(await types(toMark)).toHaveLength(2);
    });

    it("another agent's email is not found; an email sent normally, or not yet sent, cannot be resolved", async () => {
      const [mine] = await unknownEmails(1);
      expect(await resolve(mine!, 'resend', uuidv7())).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(await resolve(mine!, 'mark_sent', uuidv7())).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(await resolve(uuidv7(), 'resend')).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(await types(mine!)).toEqual(['EmailSendUnknown']);
      const sentNormally = await generated(await client());
      expect((await waitOutcome(sentNormally)).type).toBe('EmailSent');
      expect(await resolve(sentNormally, 'resend')).toMatchObject({
        ok: false,
        error: { code: 'illegal_transition', detail: expect.stringMatching(/already sent/) },
      });
      // Generated, its send still in flight (SendGrid answers slowly): no outcome yet.
      sendgrid.script({ status: 202, delayMs: 2500 });
      const pending = await generated(await client());
      await waitFor(async () => sendgrid.sends().length === 2, { what: 'the send in flight' });
      expect(await resolve(pending, 'mark_sent')).toMatchObject({
        ok: false,
        error: { code: 'illegal_transition', detail: expect.stringMatching(/not sent yet/) },
      });
      expect((await waitOutcome(pending)).type).toBe('EmailSent');
      expect(await types(mine!)).toEqual(['EmailSendUnknown']);
      expect(sendgrid.sends()).toHaveLength(2);
    });

    it('killed during the resend → unknown again, not sent a third time; the agent can decide again', async () => {
      const [emailId] = (await unknownEmails(1)) as [string];
      sendgrid.script({ status: 202, headers: { 'x-message-id': 'resent-then-crash' }, hang: true });
      expect(await resolve(emailId, 'resend')).toMatchObject({ ok: true });
      await killDuringSends(1);
      await waitFor(async () => (await types(emailId)).length === 3, { what: 'the resend outcome', timeoutMs: 20_000 });
      const events = await outcome(emailId);
      expect(events.map((e) => e.type)).toEqual(['EmailSendUnknown', 'EmailResendRequested', 'EmailSendUnknown']);
      expect(events[2]!.data).toMatchObject({ reason: expect.stringMatching(/interrupted during resend attempt 1.*not resent/) });
      await settle(3000);
      expect(sendgrid.sends()).toHaveLength(1);
      expect(await types(emailId)).toHaveLength(3);

      expect(await resolve(emailId, 'resend')).toMatchObject({ ok: true });
      await waitFor(async () => (await types(emailId)).length === 5, { what: 'the second resend outcome', timeoutMs: 20_000 });
      expect((await types(emailId)).slice(3)).toEqual(['EmailResendRequested', 'EmailSent']);
      expect(sendgrid.sends()).toHaveLength(2);
    });

    describe('SendGrid reports on an unknown email: the report settles it', () => {
      const hookMeta = () => ({
        command_id: uuidv7(),
        agent_id: '00000000-0000-0000-0000-000000000000',
        correlation_id: 't',
        issued_at: new Date().toISOString(),
      });
      const record = (events: ReturnType<typeof sendGridEvent>[]) =>
        sendCommand(nc, 'mailer', 'record_webhook_events', { events }, hookMeta());
      const attempt = async (emailId: string) => readJson<AttemptRecord>(await (await openMailerState(store.js)).attempts.get(emailId));
      let delivered: string;
      let dropped: string;
      beforeAll(async () => {
        [delivered, dropped] = (await unknownEmails(2)) as [string, string];
      });

      it('delivered → EmailSent confirmed by the provider, then EmailDelivered; once, however often reported; resolve_unknown refused; nothing sent', async () => {
        const report = sendGridEvent({
          event: 'delivered',
          email_id: delivered,
          agent_id: agentId,
          sg_message_id: 'lost-answer-1.filter0001.16648.5515E0B88.0',
        });
        expect(await record([report])).toMatchObject({ ok: true, data: { processed: 1, failed: 0, total: 1 } });
        const events = await outcome(delivered);
        expect(events.map((e) => e.type)).toEqual(['EmailSendUnknown', 'EmailSent', 'EmailDelivered']);
        const [unknown, sent] = events as [Envelope<'EmailSendUnknown'>, Envelope<'EmailSent'>];
        const rec = await attempt(delivered);
        expect(sent.data).toMatchObject({
          confirmed_by: 'provider',
          message_id: 'lost-answer-1',
          provider: 'sendgrid',
          attempts: 1,
          task_id: unknown.data.task_id,
          client_id: unknown.data.client_id,
        });
        // Sent when the attempt whose answer was lost was made, before it was found unknown.
        expect(rec?.attempted_at).toBeTruthy();
        expect(sent.data.sent_at).toBe(rec?.attempted_at);
        expect(Date.parse(sent.data.sent_at)).toBeLessThan(Date.parse(unknown.occurred_at));
        expect(rec).toMatchObject({ state: 'sent', confirmed_by: 'provider', message_id: 'lost-answer-1' });

        // SendGrid sends the batch again; then more reports, one matched only by the message id.
        expect(await record([report])).toMatchObject({ ok: true, data: { processed: 1, duplicates: 1 } });
        const open = sendGridEvent({ event: 'open', sg_message_id: 'lost-answer-1.filter0001.16648.5515E0B88.0' });
        expect(await record([open, report])).toMatchObject({ ok: true, data: { processed: 2, duplicates: 1, failed: 0 } });
        expect(await types(delivered)).toEqual(['EmailSendUnknown', 'EmailSent', 'EmailDelivered', 'EmailOpened']);

        expect(await resolve(delivered, 'resend')).toMatchObject({
          ok: false,
          error: { code: 'illegal_transition', detail: expect.stringMatching(/already sent/) },
        });
        expect(await resolve(delivered, 'mark_sent')).toMatchObject({ ok: false, error: { code: 'illegal_transition' } });

        // The generated email delivered to the mailer again: the record has its outcome; nothing goes out.
        const gen = (await store.readSubject('AI', subjects.generatedEmail(agentId, delivered))).events[0]!.event;
        await store.append({ ...gen, id: uuidv7() });
        await settle(2500);
        expect(await types(delivered)).toHaveLength(4);
        expect(sendgrid.sends()).toHaveLength(0);
      });

      it('dropped → EmailFailed (its task fails), then EmailDropped; resolve_unknown refused; nothing sent', async () => {
        const report = sendGridEvent({ event: 'dropped', email_id: dropped, agent_id: agentId, reason: 'Bounced Address' });
        expect(await record([report])).toMatchObject({ ok: true, data: { processed: 1, failed: 0 } });
        const events = await outcome(dropped);
        expect(events.map((e) => e.type)).toEqual(['EmailSendUnknown', 'EmailFailed', 'EmailDropped']);
        expect(events[1]!.data).toMatchObject({ provider: 'sendgrid', reason: 'SendGrid dropped it: Bounced Address', attempts: 1 });
        expect(await attempt(dropped)).toMatchObject({ state: 'failed' });
        expect(await record([report])).toMatchObject({ ok: true, data: { duplicates: 1 } });
        expect(await resolve(dropped, 'resend')).toMatchObject({ ok: false, error: { code: 'illegal_transition' } });
        expect(await resolve(dropped, 'mark_sent')).toMatchObject({ ok: false, error: { code: 'illegal_transition' } });
        expect(await types(dropped)).toHaveLength(3);
        expect(sendgrid.sends()).toHaveLength(0);
      });

      it('several reports in one batch (recorded concurrently) settle it once, before the first of them', async () => {
        const [emailId] = (await unknownEmails(1)) as [string];
        const reports = ['processed', 'deferred', 'delivered', 'open', 'click'].map((event) =>
          sendGridEvent({ event, email_id: emailId, agent_id: agentId }),
        );
        expect(await record(reports)).toMatchObject({ ok: true, data: { processed: 5, failed: 0 } });
        const all = await types(emailId);
        expect(all.slice(0, 2)).toEqual(['EmailSendUnknown', 'EmailSent']);
        expect(all.filter((t) => t === 'EmailSent')).toHaveLength(1);
        expect(all).toHaveLength(7);
        expect((await outcome(emailId))[1]!.data).toMatchObject({ confirmed_by: 'provider', message_id: 'unknown' });
        expect(sendgrid.sends()).toHaveLength(0);
      });

      it('reported before the interrupted send is looked at again → the redelivery records it sent (confirmed by the provider), not unknown', async () => {
        // As the process left it when killed during the call: the record `sending`, no outcome.
        const c = await client();
        const emailId = uuidv7();
        const taskId = uuidv7();
        const attemptedAt = new Date(Date.now() - 5000).toISOString();
        await (await openMailerState(store.js)).attempts.create(
          emailId,
          toBytes({
            agent_id: agentId,
            client_id: c.id,
            task_id: taskId,
            to_email: c.email,
            provider: 'sendgrid',
            state: 'sending',
            attempts: 1,
            message_id: null,
            sent_at: null,
            reason: null,
            updated_at: attemptedAt,
            attempted_at: attemptedAt,
          } satisfies AttemptRecord),
        );
        const report = sendGridEvent({
          event: 'delivered',
          email_id: emailId,
          agent_id: agentId,
          sg_message_id: 'lost-answer-2.filter0001.1.0',
        });
        expect(await record([report])).toMatchObject({ ok: true, data: { processed: 1 } });
        expect(await types(emailId)).toEqual(['EmailDelivered']);

        await generated(c, taskId, emailId); // its redelivery
        await waitFor(async () => (await types(emailId)).length === 2, { what: 'the outcome of the redelivery', timeoutMs: 20_000 });
        const events = await outcome(emailId);
        expect(events.map((e) => e.type)).toEqual(['EmailDelivered', 'EmailSent']);
        expect(events[1]!.data).toMatchObject({
          confirmed_by: 'provider',
          message_id: 'lost-answer-2',
          sent_at: attemptedAt,
          task_id: taskId,
        });
        expect(await attempt(emailId)).toMatchObject({ state: 'sent', confirmed_by: 'provider' });
        await settle(2500);
        expect(await types(emailId)).toHaveLength(2);
        expect(sendgrid.sends()).toHaveLength(0);
        expect(await resolve(emailId, 'mark_sent')).toMatchObject({ ok: false, error: { code: 'illegal_transition' } });
      });
    });
  });

  it('100 reports in one batch on an email whose answer was lost (record `sending`) → each recorded once, none lost to the race for its subject', async () => {
    // Each of them is decided on the email's events (it may be waiting to be settled); 16 at once
    // on one subject used to run out of optimistic-concurrency retries and fail the batch.
    const c = await client();
    const emailId = uuidv7();
    const at = new Date(Date.now() - 5000).toISOString();
    await (await openMailerState(store.js)).attempts.create(
      emailId,
      toBytes({
        agent_id: agentId,
        client_id: c.id,
        task_id: null,
        to_email: c.email,
        provider: 'sendgrid',
        state: 'sending',
        attempts: 1,
        message_id: null,
        sent_at: null,
        reason: null,
        updated_at: at,
        attempted_at: at,
      } satisfies AttemptRecord),
    );
    const reports = Array.from({ length: 100 }, (_, i) =>
      sendGridEvent({ event: i % 2 ? 'open' : 'click', email_id: emailId, agent_id: agentId }),
    );
    const meta = {
      command_id: uuidv7(),
      agent_id: '00000000-0000-0000-0000-000000000000',
      correlation_id: 't',
      issued_at: new Date().toISOString(),
    };
    const reply = await sendCommand(nc, 'mailer', 'record_webhook_events', { events: reports }, meta, { timeoutMs: 30_000 });
    expect(reply).toMatchObject({ ok: true, data: { processed: 100, failed: 0, total: 100 } });
    const events = await outcome(emailId);
    expect(events).toHaveLength(100);
    expect(new Set(events.map((e) => (e.data as { sg_event_id: string }).sg_event_id))).toEqual(new Set(reports.map((r) => r.sg_event_id)));
  });

  it('a bounce reported by the webhook → the next email to that address is suppressed, not sent', async () => {
    const c = await client();
    const first = await generated(c);
    await waitOutcome(first);
    const meta = {
      command_id: uuidv7(),
      agent_id: '00000000-0000-0000-0000-000000000000',
      correlation_id: 't',
      issued_at: new Date().toISOString(),
    };
    const bounce = sendGridEvent({
      event: 'bounce',
      email: c.email,
      email_id: first,
      agent_id: agentId,
      reason: '550 5.1.1 mailbox does not exist',
    });
    const reply = await sendCommand(nc, 'mailer', 'record_webhook_events', { events: [bounce] }, meta);
    expect(reply).toMatchObject({ ok: true, data: { processed: 1, failed: 0, total: 1 } });
    expect((await outcome(first)).map((e) => e.type)).toEqual(['EmailSent', 'EmailBounced']);

    const next = await generated(c);
    const suppressed = await waitOutcome(next);
    expect(suppressed.type).toBe('EmailSuppressed');
    expect(suppressed.data).toMatchObject({ reason: 'bounced', to_email: c.email });
    expect(sendgrid.sends()).toHaveLength(1);
  });

  it('webhook events are matched by message-id prefix without custom args, deduplicated by sg_event_id, and unknown ones counted as failed', async () => {
    const emailId = await generated(await client());
    await waitOutcome(emailId);
    const messageId = sendgrid.messageIdOf(sendgrid.sends()[0]!);
    const meta = {
      command_id: uuidv7(),
      agent_id: '00000000-0000-0000-0000-000000000000',
      correlation_id: 't',
      issued_at: new Date().toISOString(),
    };
    const open = sendGridEvent({ event: 'open', sg_message_id: `${messageId}.filter0001.123.0` });
    const stray = sendGridEvent({ event: 'delivered', sg_message_id: 'nobody-knows.filter' });
    const r1 = await sendCommand(nc, 'mailer', 'record_webhook_events', { events: [open, stray] }, meta);
    expect(r1).toMatchObject({ ok: true, data: { processed: 1, failed: 1, total: 2 } });
    const r2 = await sendCommand(nc, 'mailer', 'record_webhook_events', { events: [open] }, { ...meta, command_id: uuidv7() });
    expect(r2).toMatchObject({ ok: true, data: { processed: 1, duplicates: 1 } });
    expect((await outcome(emailId)).map((e) => e.type)).toEqual(['EmailSent', 'EmailOpened']);
  });

  it('the same webhook event twice in one batch is recorded once and counted as a duplicate (JetStream said so)', async () => {
    const emailId = await generated(await client());
    await waitOutcome(emailId);
    const messageId = sendgrid.messageIdOf(sendgrid.sends()[0]!);
    const meta = {
      command_id: uuidv7(),
      agent_id: '00000000-0000-0000-0000-000000000000',
      correlation_id: 't',
      issued_at: new Date().toISOString(),
    };
    const open = sendGridEvent({ event: 'open', sg_message_id: `${messageId}.f.1` });
    const reply = await sendCommand(nc, 'mailer', 'record_webhook_events', { events: [open, open] }, meta);
    expect(reply).toMatchObject({ ok: true, data: { processed: 2, duplicates: 1, failed: 0, total: 2 } });
    expect((await outcome(emailId)).map((e) => e.type)).toEqual(['EmailSent', 'EmailOpened']);
  });

  it('a matched webhook event whose timestamp is no real instant is counted as failed; the rest of its batch is recorded', async () => {
    const emailId = await generated(await client());
    await waitOutcome(emailId);
    const messageId = sendgrid.messageIdOf(sendgrid.sends()[0]!);
    const meta = {
      command_id: uuidv7(),
      agent_id: '00000000-0000-0000-0000-000000000000',
      correlation_id: 't',
      issued_at: new Date().toISOString(),
    };
    // Milliseconds where SendGrid sends seconds: ×1000 is past the last date JavaScript can hold.
    const late = sendGridEvent({ event: 'open', sg_message_id: `${messageId}.f.1`, timestamp: Date.now() * 10_000 });
    const open = sendGridEvent({ event: 'open', sg_message_id: `${messageId}.f.2` });
    const reply = await sendCommand(nc, 'mailer', 'record_webhook_events', { events: [late, open] }, meta);
    expect(reply).toMatchObject({ ok: true, data: { processed: 1, failed: 1, total: 2 } });
    expect((await outcome(emailId)).map((e) => e.type)).toEqual(['EmailSent', 'EmailOpened']);
  });

  it('a client who unsubscribed (CRM event) is never sent to', async () => {
    const c = await client();
    await store.append(
      newEvent('ClientUnsubscribed', {
        agentId,
        aggregateId: c.id,
        correlationId: 't',
        causationId: null,
        data: { source: 'link', at: new Date().toISOString() },
      }),
    );
    const emailId = await generated(c);
    const out = await waitOutcome(emailId);
    expect(out.type).toBe('EmailSuppressed');
    expect(out.data).toMatchObject({ reason: 'unsubscribed' });
    expect(sendgrid.sends()).toHaveLength(0);
  });

  it('a client who was deleted (CRM event), even after changing their email, is never sent to', async () => {
    const c = await client();
    const changed = `${uuidv7()}@example.com`;
    const crm = (type: 'ClientUpdated' | 'ClientDeleted', data: never) =>
      store.append(newEvent(type, { agentId, aggregateId: c.id, correlationId: 't', causationId: null, data }));
    await crm('ClientUpdated', { changes: { email: changed } } as never);
    await crm('ClientDeleted', { email: changed } as never);
    const out = await waitOutcome(await generated({ id: c.id, email: changed }));
    expect(out.type).toBe('EmailSuppressed');
    expect(out.data).toMatchObject({ reason: 'client_deleted', to_email: changed });
    expect(sendgrid.sends()).toHaveLength(0);
  });

  describe('stop rule at send time: the stage became lost/closed after the task fell due (issue 8)', () => {
    const fromAgent = { agentId, correlationId: 't' };
    /** A task of `origin` that fell due (its TaskDue returned), as the scheduler records it. */
    async function dueTask(c: { id: string }, origin: 'plan' | 'manual') {
      const taskId = uuidv7();
      const at = new Date().toISOString();
      await store.append(
        newEvent('TaskScheduled', {
          ...fromAgent,
          aggregateId: taskId,
          causationId: null,
          data: {
            client_id: c.id,
            followup_type: origin === 'plan' ? 'Day 1' : 'Custom',
            scheduled_for: at,
            priority: 'high',
            notes: null,
            version: 1,
            origin,
          },
        }),
      );
      const due = newEvent('TaskDue', {
        ...fromAgent,
        aggregateId: taskId,
        causationId: null,
        data: { client_id: c.id, followup_type: origin === 'plan' ? 'Day 1' : 'Custom', scheduled_for: at, version: 1, fired_at: at },
      });
      await store.append(due);
      return { taskId, dueId: due.id };
    }
    const moveTo = (c: { id: string }, from: string, to: string) =>
      store.append(newEvent('ClientStageChanged', { ...fromAgent, aggregateId: c.id, causationId: null, data: { from, to } as never }));
    /** The EmailGenerated the ai-agent writes: caused by the TaskDue, or by the agent's send-now command. */
    async function written(c: { id: string; email: string }, taskId: string | null, causationId: string) {
      const e = newEvent('EmailGenerated', {
        ...fromAgent,
        aggregateId: uuidv7(),
        causationId,
        data: {
          task_id: taskId,
          client_id: c.id,
          followup_type: 'Day 1',
          to_email: c.email,
          to_name: 'Maria Lopez',
          subject: 'Great to connect, Maria',
          body: 'Hi Maria,\n\nThanks for the chat.\n\nJane Agent',
          provider: 'template',
          model: 'template-v1',
          prompt_version: 'followup-v1',
          fallback_reason: null,
        },
      });
      await store.append(e);
      return e.aggregate_id;
    }

    it.each([
      ['lost', 'stage_lost'],
      ['closed', 'stage_closed'],
    ] as const)('a planned step due before the client became %s → EmailSuppressed %s, nothing sent', async (stage, reason) => {
      const c = await client();
      const { taskId, dueId } = await dueTask(c, 'plan');
      await moveTo(c, 'lead', stage);
      const emailId = await written(c, taskId, dueId);
      const out = await waitOutcome(emailId);
      expect(out.type).toBe('EmailSuppressed');
      expect(out.data).toMatchObject({ reason, task_id: taskId, client_id: c.id, to_email: c.email });
      expect(sendgrid.sends()).toHaveLength(0);
      // The attempt record says so too (what a redelivery reads).
      const state = await openMailerState(store.js);
      expect(readJson<AttemptRecord>(await state.attempts.get(emailId))).toMatchObject({ state: 'suppressed', reason });
    });

    it("what the agent asked for still goes to a lost client: their own task's email and a send-now (with or without a task); back to an active stage, automation sends again", async () => {
      const c = await client();
      await moveTo(c, 'lead', 'lost');
      const manual = await dueTask(c, 'manual');
      const planned = await dueTask(c, 'plan');
      const ids = [
        await written(c, manual.taskId, manual.dueId),
        await written(c, null, uuidv7()), // send now, no task: caused by the agent's command
        await written(c, planned.taskId, uuidv7()), // send now on a planned task
      ];
      for (const id of ids) expect((await waitOutcome(id)).type).toBe('EmailSent');
      expect(sendgrid.sends()).toHaveLength(3);

      await moveTo(c, 'lost', 'qualified');
      const again = await dueTask(c, 'plan');
      expect((await waitOutcome(await written(c, again.taskId, again.dueId))).type).toBe('EmailSent');
    });

    /** A step of an enrolment in a plan whose stop stages are `stopStages`, fallen due. */
    async function dueStep(c: { id: string }, stopStages: string[]) {
      const planId = uuidv7();
      const enrollmentId = uuidv7();
      const taskId = uuidv7();
      const at = new Date().toISOString();
      const step = {
        id: 'day-1',
        label: 'Day 1',
        offset_days: 1,
        time_of_day: null,
        priority: 'high',
        action: 'email',
        instructions: null,
        template_id: null,
      };
      await store.append(
        newEvent('PlanCreated', {
          ...fromAgent,
          aggregateId: planId,
          causationId: null,
          data: {
            name: 'After closing',
            version: 1,
            steps: [step],
            stop_stages: stopStages,
            stage_trigger: null,
            is_default: false,
          } as never,
        }),
      );
      await store.append(
        newEvent('ClientEnrolled', {
          ...fromAgent,
          aggregateId: c.id,
          causationId: null,
          data: {
            client_id: c.id,
            enrollment_id: enrollmentId,
            plan_id: planId,
            plan_name: 'After closing',
            plan_version: 1,
            enrolled_at: at,
            source: 'manual',
          },
        }),
      );
      await store.append(
        newEvent('TaskScheduled', {
          ...fromAgent,
          aggregateId: taskId,
          causationId: null,
          data: {
            client_id: c.id,
            followup_type: 'Day 1',
            scheduled_for: at,
            priority: 'high',
            notes: null,
            version: 1,
            origin: 'plan',
            plan: {
              enrollment_id: enrollmentId,
              plan_id: planId,
              plan_name: 'After closing',
              plan_version: 1,
              step_id: 'day-1',
              step_index: 1,
              step_label: 'Day 1',
              action: 'email',
              instructions: null,
              template_id: null,
            },
          },
        }),
      );
      const due = newEvent('TaskDue', {
        ...fromAgent,
        aggregateId: taskId,
        causationId: null,
        data: { client_id: c.id, followup_type: 'Day 1', scheduled_for: at, version: 1, fired_at: at, action: 'email' },
      });
      await store.append(due);
      return { taskId, dueId: due.id, enrollmentId, planId };
    }

    it("a plan's own stop stages decide: a post-closing plan (stop stage lost only) still emails a closed client; its stop stage suppresses", async () => {
      const c = await client();
      await moveTo(c, 'lead', 'closed');
      const kept = await dueStep(c, ['lost']);
      expect((await waitOutcome(await written(c, kept.taskId, kept.dueId))).type).toBe('EmailSent');
      await moveTo(c, 'closed', 'lost');
      const stopped = await dueStep(c, ['lost']);
      const out = await waitOutcome(await written(c, stopped.taskId, stopped.dueId));
      expect(out.type).toBe('EmailSuppressed');
      expect(out.data).toMatchObject({ reason: 'stage_lost' });
    });

    it('a step whose enrolment ended before its email went (another plan replaced it) is suppressed with the end reason', async () => {
      const c = await client();
      const step = await dueStep(c, ['lost', 'closed']);
      await store.append(
        newEvent('EnrollmentEnded', {
          ...fromAgent,
          aggregateId: c.id,
          causationId: null,
          data: { client_id: c.id, enrollment_id: step.enrollmentId, plan_id: step.planId, reason: 'replaced' },
        }),
      );
      const out = await waitOutcome(await written(c, step.taskId, step.dueId));
      expect(out.type).toBe('EmailSuppressed');
      expect(out.data).toMatchObject({ reason: 'replaced', task_id: step.taskId });
      expect(sendgrid.sends()).toHaveLength(0);
    });
  });
});

describe('mailer without SENDGRID_API_KEY', () => {
  it('the outbox provider writes each email as an .eml file under OUTBOX_DIR and completes the same way', async () => {
    const { nats, nc, store } = await startJetStream(['CRM', 'AI', 'MAILER']);
    const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
    const svc = startService('mailer', {
      NATS_URL: nats.url,
      SENDGRID_API_KEY: '',
      EMAIL_PROVIDER: '',
      OUTBOX_DIR: dir,
      JWT_SECRET,
      PUBLIC_BASE_URL: 'https://app.realtoros.test',
    });
    try {
      const agentId = uuidv7();
      const clientId = uuidv7();
      const emailId = uuidv7();
      await store.append(
        newEvent('ClientCreated', {
          agentId,
          aggregateId: clientId,
          correlationId: 't',
          causationId: null,
          data: {
            name: 'Zoë Ångström',
            email: 'zoe@example.com',
            phone: null,
            property_address: null,
            property_type: null,
            notes: null,
            custom_fields: {},
            stage: 'lead',
          },
        }),
      );
      await store.append(
        newEvent('EmailGenerated', {
          agentId,
          aggregateId: emailId,
          correlationId: 't',
          causationId: null,
          data: {
            task_id: null,
            client_id: clientId,
            followup_type: 'Custom',
            to_email: 'zoe@example.com',
            to_name: 'Zoë Ångström',
            subject: 'Hallo Zoë',
            body: 'Hi Zoë,\n\nHow is the move going?\n\nJane',
            provider: 'manual',
            model: 'agent',
            prompt_version: 'followup-v1',
            fallback_reason: null,
          },
        }),
      );
      const sent = await waitFor(async () => (await store.readSubject('MAILER', subjects.mailedEmail(agentId, emailId))).events[0]?.event, {
        what: 'EmailSent',
        timeoutMs: 20_000,
      });
      expect(sent.type).toBe('EmailSent');
      expect(sent.data).toMatchObject({ provider: 'outbox', message_id: `outbox-${emailId}` });
      expect(readdirSync(dir)).toEqual([`${emailId}.eml`]);
      const eml = readFileSync(join(dir, `${emailId}.eml`), 'utf8');
      expect(eml).toMatch(/^To: "=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=" <zoe@example\.com>\r$/m);
      expect(eml).toMatch(/^List-Unsubscribe: <https:\/\/app\.realtoros\.test\/unsubscribe\/[A-Za-z0-9_-]{86}>\r$/m);
      expect(eml).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
      const textPart =
        /Content-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n([A-Za-z0-9+/=\r\n]+)/.exec(eml)?.[1] ?? '';
      expect(Buffer.from(textPart.replace(/\r\n/g, ''), 'base64').toString()).toContain('How is the move going?');
    } finally {
      await svc.stop();
      await nc.close();
      await nats.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
