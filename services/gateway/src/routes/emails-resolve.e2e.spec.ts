import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createEventStore, newEvent, type EventStore } from '@realtoros/messaging';
import { startFakeSendGrid, startStack, waitFor, type FakeSendGrid, type Stack } from '@realtoros/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, signUp } from '../../../../tests/api/http.ts';

/**
 * `POST /api/emails/{id}/resolve` on the real gateway, mailer, crm and projector: emails are
 * made `unknown` the way it happens in production (the mailer is SIGKILLed while SendGrid
 * holds an accepted request open), then the agent decides through the API.
 */
describe('resolving an email whose send outcome is unknown, through the API', () => {
  let stack: Stack;
  let sendgrid: FakeSendGrid;
  let nc: NatsConnection;
  let store: EventStore;
  let api: ReturnType<typeof apiClient>;
  let other: ReturnType<typeof apiClient>;
  let toResend: string;
  let toMark: string;

  type Email = { id: string; status: string; sent_at: string | null; sendgrid_message_id: string | null; error_message: string | null };
  const email = async (id: string) => (await api.get<Email>(`/api/emails/${id}`)).body;
  const statusIs = (id: string, status: string) =>
    waitFor(async () => ((await email(id)).status === status ? email(id) : null), { what: `email ${id} ${status}`, timeoutMs: 20_000 });

  beforeAll(async () => {
    sendgrid = await startFakeSendGrid();
    stack = await startStack(['projector', 'crm', 'mailer', 'gateway'], {
      SENDGRID_API_KEY: 'SG.test', SENDGRID_BASE_URL: sendgrid.url, MAILER_ACK_WAIT_MS: '2000', MAILER_RETRY_BASE_MS: '50', SENDGRID_TIMEOUT_MS: '60000',
    });
    nc = await connect({ servers: stack.nats.url });
    store = await createEventStore(nc);
    const me = await signUp(stack.api, 'Jane Agent');
    api = me.api;
    other = (await signUp(stack.api)).api;

    // Two emails written (as the ai-agent would) whose sends SendGrid accepts but never finishes answering.
    sendgrid.script({ status: 202, hang: true }, { status: 202, hang: true });
    const ids: string[] = [];
    for (const name of ['Maria Lopez', 'Tom Reed']) {
      const c = await api.post('/api/clients', { name, email: `${name.split(' ')[0]!.toLowerCase()}.${uuidv7()}@example.com` });
      expect(c.status).toBe(201);
      const id = uuidv7();
      await store.append(newEvent('EmailGenerated', {
        agentId: me.agent.id, aggregateId: id, correlationId: 't', causationId: null,
        data: { task_id: null, client_id: c.body.id, followup_type: 'Custom', to_email: c.body.email, to_name: name, subject: `Hello ${name}`, body: 'Hi,\n\nJane', provider: 'manual', model: 'agent', prompt_version: 'followup-v1', fallback_reason: null },
      }));
      ids.push(id);
    }
    await waitFor(async () => sendgrid.sends().length === 2, { what: 'both sends to reach SendGrid' });
    await new Promise((r) => setTimeout(r, 300));
    await stack.stop('mailer', 'SIGKILL');
    await stack.start('mailer');
    [toResend, toMark] = ids as [string, string];
    for (const id of ids) await statusIs(id, 'unknown');
    sendgrid.reset();
  });
  afterAll(async () => {
    await nc?.close();
    await stack?.dispose();
    await sendgrid?.close();
  });

  it("another agent's email → 404; a bad action or an extra field → 400; nothing changes", async () => {
    const r = await other.post(`/api/emails/${toResend}/resolve`, { action: 'resend' });
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await other.post(`/api/emails/${toMark}/resolve`, { action: 'mark_sent' })).status).toBe(404);
    expect((await api.post(`/api/emails/${uuidv7()}/resolve`, { action: 'resend' })).status).toBe(404);
    const bad = await api.post(`/api/emails/${toResend}/resolve`, { action: 'retry' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0]?.pointer).toBe('/action');
    expect((await api.post(`/api/emails/${toResend}/resolve`, { action: 'resend', force: true })).status).toBe(400);
    expect((await api.post(`/api/emails/${toResend}/resolve`, {})).status).toBe(400);
    await new Promise((r) => setTimeout(r, 500));
    expect(sendgrid.sends()).toHaveLength(0);
    expect((await email(toResend)).status).toBe('unknown');
  });

  it('resend → 202 with the email (no longer unknown: read your writes), sent once more; resolving it again → 409', async () => {
    const r = await api.post(`/api/emails/${toResend}/resolve`, { action: 'resend' });
    expect(r.status).toBe(202);
    // Read your writes: the resend request is already projected (the resend itself may be done too).
    expect(r.body).toMatchObject({ id: toResend, error_message: null });
    expect(['sending', 'sent']).toContain(r.body.status);
    const sent = await statusIs(toResend, 'sent');
    expect(sendgrid.sends()).toHaveLength(1);
    expect(sent.sendgrid_message_id).toBe(sendgrid.messageIdOf(sendgrid.sends()[0]!));
    const again = await api.post(`/api/emails/${toResend}/resolve`, { action: 'resend' });
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/already sent/);
    expect(sendgrid.sends()).toHaveLength(1);
  });

  it('mark_sent → 202 with the email already sent; SendGrid is not called; then 409', async () => {
    const before = sendgrid.sends().length;
    const r = await api.post(`/api/emails/${toMark}/resolve`, { action: 'mark_sent' });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ id: toMark, status: 'sent', sendgrid_message_id: null, error_message: null });
    expect(r.body.sent_at).toEqual(expect.any(String));
    expect((await api.post(`/api/emails/${toMark}/resolve`, { action: 'mark_sent' })).status).toBe(409);
    await new Promise((r) => setTimeout(r, 1000));
    expect(sendgrid.sends()).toHaveLength(before);
  });
});
