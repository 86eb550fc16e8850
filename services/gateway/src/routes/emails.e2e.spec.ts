import { connect, type NatsConnection } from '@nats-io/transport-node';
import { subjects } from '@realtoros/contracts';
import { createEventStore, type EventStore } from '@realtoros/messaging';
import {
  createWebhookSigner,
  sendGridEvent,
  startFakeOpenAI,
  startFakeSendGrid,
  startStack,
  waitFor,
  type FakeOpenAI,
  type FakeSendGrid,
  type Stack,
  type WebhookSigner,
} from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '@realtoros/imports';
import { apiClient, signUp } from '../../../../tests/api/http.ts';

/**
 * Follow-up emails end to end on the real system: gateway, crm, scheduler, ai-agent, mailer
 * and projector as processes on their own NATS and Postgres; OpenAI and SendGrid are local
 * fakes driven through the real SDKs. Follow-ups are scheduled seconds apart.
 */
describe('follow-up emails on the real stack', () => {
  let stack: Stack;
  let openai: FakeOpenAI;
  let sendgrid: FakeSendGrid;
  let signer: WebhookSigner;
  let nc: NatsConnection;
  let store: EventStore;
  const DAY1_S = 2;
  const DAY3_S = 9;

  beforeAll(async () => {
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
      FOLLOWUP_SCHEDULE: JSON.stringify({
        'Day 1': { offset_seconds: DAY1_S },
        'Day 3': { offset_seconds: DAY3_S },
        'Week 1': { offset_days: 7 },
        'Week 2': { offset_days: 14 },
        'Month 1': { offset_days: 30 },
      }),
    });
    nc = await connect({ servers: stack.nats.url });
    store = await createEventStore(nc);
  });
  afterAll(async () => {
    await nc?.close();
    await stack?.dispose();
    await Promise.all([openai?.close(), sendgrid?.close()]);
  });

  const sendsTo = (email: string) => sendgrid.sends().filter((r) => sendgrid.mailOf(r).personalizations?.[0]?.to?.[0]?.email === email);
  /** The id of the client's task for a step of the default plan (planned tasks' ids derive from the enrolment). */
  const taskIdOf = async (api: ReturnType<typeof apiClient>, clientId: string, kind: string) =>
    ((await api.get(`/api/clients/${clientId}/tasks?limit=100`)).body.items as { id: string; followup_type: string }[]).find(
      (t) => t.followup_type === kind,
    )?.id;
  const taskEvents = async (api: ReturnType<typeof apiClient>, agentId: string, clientId: string, kind: string) => {
    const id = await taskIdOf(api, clientId, kind);
    return id ? (await store.readSubject('SCHEDULER', subjects.task(agentId, id))).events.map((e) => e.event.type) : [];
  };
  async function newClient(api: ReturnType<typeof apiClient>, name: string, notes?: string) {
    const email = `${name.split(' ')[0]!.toLowerCase()}.${Date.now().toString(36)}@example.com`;
    const r = await api.post('/api/clients', {
      name,
      email,
      property_address: '12 Oak Street',
      property_type: 'residential',
      stage: 'qualified',
      notes,
      custom_fields: { budget: '$650,000' },
    });
    expect(r.status).toBe(201);
    return { id: r.body.id as string, email };
  }
  async function sentEmail(api: ReturnType<typeof apiClient>, clientId: string) {
    return waitFor(
      async () => {
        const r = await api.get(`/api/clients/${clientId}/emails`);
        return r.body.items?.find((e: { status: string; sent_at: string | null }) => e.sent_at) as
          | { id: string; status: string; sendgrid_message_id: string }
          | undefined;
      },
      { what: 'a sent email', timeoutMs: 30_000 },
    );
  }
  function post(body: string, headers: Record<string, string>) {
    return fetch(`${stack.api}/webhook/sendgrid`, { method: 'POST', headers, body }).then(async (r) => ({
      status: r.status,
      body: await r.json().catch(() => null),
    }));
  }

  it('a due task → one provider call with the client facts → one send with List-Unsubscribe → task completed, email sent with the message id', async () => {
    const { api, agent } = await signUp(stack.api, 'Jane Agent');
    const c = await newClient(api, 'Maria Lopez', 'Prefers a big garden');
    const email = await sentEmail(api, c.id);
    const calls = openai.completions().filter((r) => openai.promptOf(r).includes(c.email) || openai.promptOf(r).includes('Maria Lopez'));
    expect(calls).toHaveLength(1);
    const prompt = openai.promptOf(calls[0]!);
    for (const fact of ['Maria Lopez', '12 Oak Street', 'qualified', 'Prefers a big garden', '$650,000', 'Jane Agent', 'Day 1'])
      expect(prompt).toContain(fact);
    const sends = sendsTo(c.email);
    expect(sends).toHaveLength(1);
    const mail = sendgrid.mailOf(sends[0]!);
    expect(mail.headers?.['List-Unsubscribe']).toMatch(new RegExp(`^<${stack.api}/unsubscribe/[A-Za-z0-9_-]{86}>$`));
    expect(mail.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(email.status).toBe('sent');
    expect(email.sendgrid_message_id).toBe(sendgrid.messageIdOf(sends[0]!));
    await waitFor(async () => (await taskEvents(api, agent.id, c.id, 'Day 1')).includes('TaskCompleted'), { what: 'Day 1 completed' });
    const full = await api.get(`/api/emails/${email.id}`);
    expect(full.body).toMatchObject({
      provider: 'openai',
      model: 'gpt-test',
      task_id: await taskIdOf(api, c.id, 'Day 1'),
      client_name: 'Maria Lopez',
    });
    expect((await apiClient(stack.api, (await signUp(stack.api)).token).get(`/api/emails/${email.id}`)).status).toBe(404);
  });

  it('signed webhook accepted; forged, tampered and stale ones 401 with nothing recorded; a replayed event counted once', async () => {
    const { api, agent } = await signUp(stack.api);
    const c = await newClient(api, 'Tom Reed');
    const email = await sentEmail(api, c.id);
    const open = sendGridEvent({ event: 'open', email: c.email, email_id: email.id, agent_id: agent.id });
    const delivered = sendGridEvent({ event: 'delivered', email: c.email, sg_message_id: `${email.sendgrid_message_id}.filter0001.1.0` });
    const payload = JSON.stringify([delivered, open]);

    const forged = createWebhookSigner().sign(payload);
    expect((await post(payload, forged.headers)).status).toBe(401);
    const signed = signer.sign(payload);
    expect((await post(payload.replace('"open"', '"click"'), signed.headers)).status).toBe(401);
    const stale = signer.sign(payload, Math.floor(Date.now() / 1000) - 11 * 60);
    expect((await post(payload, stale.headers)).status).toBe(401);
    expect((await post(payload, { 'content-type': 'application/json' })).status).toBe(401);
    expect((await api.get(`/api/emails/${email.id}`)).body.webhook_events).toEqual([]);

    expect(await post(payload, signed.headers)).toEqual({ status: 200, body: { processed: 2, failed: 0, total: 2 } });
    expect((await post(payload, signer.sign(payload).headers)).status).toBe(200); // SendGrid retries the batch
    const odd = JSON.stringify([
      { event: 'open' },
      sendGridEvent({ event: 'delivered', email_id: '0190a000-0000-7000-8000-00000000dead', agent_id: agent.id }),
    ]);
    expect(await post(odd, signer.sign(odd).headers)).toEqual({ status: 200, body: { processed: 0, failed: 2, total: 2 } });
    expect((await post('{"not":"a list"}', signer.sign('{"not":"a list"}').headers)).status).toBe(400);
    const after = await waitFor(
      async () => {
        const r = await api.get(`/api/emails/${email.id}`);
        return r.body.webhook_events?.length === 2 ? r.body : null;
      },
      { what: 'webhook history' },
    );
    await new Promise((r) => setTimeout(r, 1000));
    const final = (await api.get(`/api/emails/${email.id}`)).body;
    expect(final.webhook_events.map((e: { event: string }) => e.event).sort()).toEqual(['delivered', 'open']);
    expect(final.status).toBe('opened');
    expect(final.opened_at).toBe(new Date(open.timestamp * 1000).toISOString());
    expect(after.id).toBe(email.id);
    const stats = (await api.get('/api/dashboard/stats')).body;
    expect(stats.emails).toMatchObject({ sent: 1, delivered: 1, opened: 1, clicked: 0 });
    expect(stats.open_rate).toBe(1);
    expect(stats.daily).toHaveLength(30);
    expect(stats.daily.at(-1)).toMatchObject({ date: new Date().toISOString().slice(0, 10), sent: 1, opened: 1 });
  });

  it('bounce → the enrolment ends (bounced) and the next follow-up is not sent', async () => {
    const { api, agent } = await signUp(stack.api);
    const c = await newClient(api, 'Ana Diaz');
    const email = await sentEmail(api, c.id);
    const bounce = JSON.stringify([
      sendGridEvent({
        event: 'bounce',
        email: c.email,
        email_id: email.id,
        agent_id: agent.id,
        reason: '550 5.1.1 The email account does not exist',
      }),
    ]);
    expect((await post(bounce, signer.sign(bounce).headers)).body).toEqual({ processed: 1, failed: 0, total: 1 });
    // The bounce ends the enrolment (its pending steps are cancelled: `bounced`); should Day 3 fall due first, the
    // mailer suppresses its email and the task fails. Either way nothing more is sent.
    await waitFor(
      async () => {
        const types = await taskEvents(api, agent.id, c.id, 'Day 3');
        return types.includes('TaskCancelled') || types.includes('TaskFailed');
      },
      { what: 'Day 3 stopped', timeoutMs: 30_000 },
    );
    await waitFor(async () => (await api.get(`/api/clients/${c.id}`)).body.enrollment?.ended_reason === 'bounced', {
      what: 'enrolment ended: bounced',
    });
    await new Promise((r) => setTimeout(r, (DAY3_S + 1) * 1000));
    expect(sendsTo(c.email)).toHaveLength(1);
    // The task's failure and the email's suppression live on different streams: wait for the read model.
    const emails = await waitFor(
      async () => {
        const items = (await api.get(`/api/clients/${c.id}/emails`)).body.items as { status: string; error_message: string | null }[];
        // EmailGenerated (AI stream) can be projected before the mailer's outcome (MAILER stream).
        return items.length >= 1 && items.every((e) => e.status !== 'generated') ? items : null;
      },
      { what: 'the emails projected with their outcomes' },
    );
    expect(emails.map((e) => e.status).sort()).toEqual(emails.length === 1 ? ['bounced'] : ['bounced', 'suppressed']);
  });

  it("SendGrid's unsubscribe event unsubscribes the client in the CRM too", async () => {
    const { api, agent } = await signUp(stack.api);
    const c = await newClient(api, 'Kim Ode');
    const email = await sentEmail(api, c.id);
    const unsub = JSON.stringify([sendGridEvent({ event: 'unsubscribe', email: c.email, email_id: email.id, agent_id: agent.id })]);
    expect((await post(unsub, signer.sign(unsub).headers)).status).toBe(200);
    await waitFor(async () => (await api.get(`/api/clients/${c.id}`)).body.unsubscribed === true, { what: 'client unsubscribed' });
    const history = (await api.get(`/api/clients/${c.id}/events`)).body.items as { type: string; data: { source?: string } }[];
    expect(history.find((e) => e.type === 'ClientUnsubscribed')?.data.source).toBe('webhook');
  });

  it('one-click unsubscribe → no more emails (GET alone changes nothing)', async () => {
    const { api, agent } = await signUp(stack.api);
    const c = await newClient(api, 'Lee Park');
    await sentEmail(api, c.id);
    const link = /^<(.+)>$/.exec(sendgrid.mailOf(sendsTo(c.email)[0]!).headers?.['List-Unsubscribe'] ?? '')?.[1] ?? '';
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post"');
    expect((await api.get(`/api/clients/${c.id}`)).body.unsubscribed).toBe(false);
    expect((await fetch(`${link.slice(0, -4)}AAAA`, { method: 'POST' })).status).toBe(400);
    const oneClick = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect((await api.get(`/api/clients/${c.id}`)).body.unsubscribed).toBe(true);
    await waitFor(
      async () => {
        const types = await taskEvents(api, agent.id, c.id, 'Day 3');
        return types.includes('TaskCancelled') || types.includes('TaskFailed');
      },
      { what: 'Day 3 stopped', timeoutMs: 30_000 },
    );
    await new Promise((r) => setTimeout(r, (DAY3_S + 1) * 1000 - 0));
    expect(sendsTo(c.email)).toHaveLength(1);
    expect((await fetch(link, { method: 'POST' })).status).toBe(200); // twice is fine
  });

  it('preview writes without sending; send now sends at once and the email is readable right away', async () => {
    const { api } = await signUp(stack.api);
    const c = await newClient(api, 'Sam Hill');
    const preview = await api.post('/api/emails/preview', {
      client_id: c.id,
      followup_type: 'Week 1',
      agent_instructions: 'Mention the open house',
    });
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({ subject: expect.any(String), body: expect.any(String) });
    const sent = await api.post('/api/emails/send', {
      client_id: c.id,
      subject: 'Open house Saturday',
      body: 'Hi Sam,\n\nJoin us on Saturday at 2pm.\n\nJane',
    });
    expect(sent.status).toBe(202);
    const right = await api.get(`/api/emails/${sent.body.email_id}`);
    expect(right.status).toBe(200);
    expect(right.body).toMatchObject({ subject: 'Open house Saturday', provider: 'manual', task_id: null });
    await waitFor(async () => sendsTo(c.email).some((r) => sendgrid.mailOf(r).subject === 'Open house Saturday'), { what: 'manual send' });
    expect((await api.post('/api/emails/send', { client_id: c.id, subject: 'two\nlines', body: 'x' })).status).toBe(400);
  });

  it('the email history exports as CSV: the list’s emails with their outcome, filtered as the list is, none of another agent’s', async () => {
    const a = await signUp(stack.api);
    const b = await signUp(stack.api);
    const c1 = await newClient(a.api, 'Ada Export');
    const c2 = await newClient(a.api, 'Bo Export');
    for (const [c, subject] of [
      [c1, 'First =1+1'],
      [c1, 'Second'],
      [c2, 'Third'],
    ] as const)
      expect((await a.api.post('/api/emails/send', { client_id: c.id, subject, body: `Hello,\n"quoted", and more\n` })).status).toBe(202);
    const other = await newClient(b.api, 'Cy Other');
    expect((await b.api.post('/api/emails/send', { client_id: other.id, subject: 'Not yours', body: 'x' })).status).toBe(202);
    const list = await waitFor(
      async () => {
        const r = await a.api.get('/api/emails?limit=100');
        return r.body.items.length >= 3 && r.body.items.every((e: { status: string }) => e.status === 'sent') && r.body.items;
      },
      { what: 'three emails sent' },
    );
    const exportOf = async (query = '') => {
      const res = await fetch(`${stack.api}/api/emails/export.csv${query}`, { headers: { authorization: `Bearer ${a.token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      return readCsv(new Uint8Array(await res.arrayBuffer()));
    };
    const all = await exportOf();
    expect(all.columns.slice(0, 9)).toEqual([
      'id',
      'created_at',
      'sent_at',
      'client_id',
      'client_name',
      'to_email',
      'subject',
      'body',
      'status',
    ]);
    // The list's order (newest first) and its emails, each whole.
    expect(all.rows.map((r) => r[0])).toEqual(list.map((e: { id: string }) => e.id));
    const first = all.rows.find((r) => r[6] === "'First =1+1" || r[6] === 'First =1+1');
    expect(first).toMatchObject({ 4: 'Ada Export', 5: c1.email, 7: 'Hello,\n"quoted", and more\n', 8: 'sent' });
    expect(all.rows.some((r) => r[6] === 'Not yours')).toBe(false);
    const justC2 = await exportOf(`?client_id=${c2.id}`);
    expect(justC2.rows.map((r) => r[6])).toEqual(['Third']);
    // Nothing matches: the header alone (the importer would refuse it as "no clients", rightly).
    const none = await fetch(`${stack.api}/api/emails/export.csv?status=bounced`, { headers: { authorization: `Bearer ${a.token}` } });
    expect((await none.text()).trim().split('\n')).toHaveLength(1);
    const bad = await fetch(`${stack.api}/api/emails/export.csv?status=nope`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(bad.status).toBe(400);
  });
});
