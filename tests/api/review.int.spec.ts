import { type FakeSendGrid, postInbound, type Stack, startFakeSendGrid, startStack, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type apiClient, signUp } from './http.ts';

type Api = ReturnType<typeof apiClient>;
const DOMAIN = 'in.realtoros.test';
const SECRET = 'inbound-secret-inbound-secret';

/**
 * Review before sending on the real stack: with `review_by_default` the plan's Day 1 (2 s
 * after the client is added) becomes a draft in the queue; SendGrid (the fake) must receive
 * nothing until the agent approves, exactly one email however often approve is pressed, and
 * nothing for a rejected draft or one whose client replied meanwhile.
 */
describe('review before sending', () => {
  let stack: Stack;
  let sendgrid: FakeSendGrid;
  beforeAll(async () => {
    sendgrid = await startFakeSendGrid();
    stack = await startStack(['projector', 'crm', 'scheduler', 'ai-agent', 'mailer', 'gateway'], {
      SENDGRID_API_KEY: 'SG.test',
      SENDGRID_BASE_URL: sendgrid.url,
      INBOUND_DOMAIN: DOMAIN,
      INBOUND_PARSE_SECRET: SECRET,
      MAILER_RETRY_BASE_MS: '50',
      FOLLOWUP_SCHEDULE: JSON.stringify({ 'Day 1': { offset_seconds: 2 }, 'Day 3': { offset_days: 3 }, 'Week 1': { offset_days: 7 }, 'Week 2': { offset_days: 14 }, 'Month 1': { offset_days: 30 } }),
    });
  }, 240_000);
  afterAll(async () => {
    await stack?.dispose();
    await sendgrid?.close();
  });

  const sendsTo = (email: string) => sendgrid.accepted().filter((r) => sendgrid.mailOf(r).personalizations?.[0]?.to?.[0]?.email === email);
  async function reviewer() {
    const s = await signUp(stack.api);
    expect((await s.api.patch('/api/settings', { review_by_default: true })).status).toBe(200);
    return s;
  }
  async function draftFor(api: Api, name: string) {
    const email = `${name.toLowerCase()}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`;
    const r = await api.post('/api/clients', { name: `${name} Client`, email, stage: 'qualified' });
    expect(r.status).toBe(201);
    const item = await waitFor(
      async () => ((await api.get('/api/review')).body.items as { client_id: string; email_id: string }[]).find((i) => i.client_id === r.body.id),
      { timeoutMs: 30_000, what: `${name}'s draft in the queue` },
    );
    return { id: r.body.id as string, email, draft: item as unknown as { email_id: string; review_reason: string; subject: string; facts: unknown[] } };
  }
  const taskStatus = async (api: Api, clientId: string) =>
    ((await api.get(`/api/clients/${clientId}/tasks?limit=100`)).body.items as { followup_type: string; status: string }[]).find((t) => t.followup_type === 'Day 1')?.status;

  it('a draft waits (nothing sent); approved twice at once it is sent exactly once, with who approved it and what was changed', async () => {
    const { api, agent } = await reviewer();
    const c = await draftFor(api, 'Rita');
    expect(c.draft).toMatchObject({ review_reason: 'default', facts: expect.arrayContaining([{ label: 'Stage', value: 'qualified' }]) });
    await new Promise((r) => setTimeout(r, 3000));
    expect(sendsTo(c.email)).toHaveLength(0);
    const body = 'Hi Rita,\n\nI edited this one myself before it went out. Talk soon!\n\nBest';
    const [a, b] = await Promise.all([
      api.post(`/api/emails/${c.draft.email_id}/approve`, { body }),
      api.post(`/api/emails/${c.draft.email_id}/approve`, { body }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    expect(loser.body.detail).toMatch(/already approved/);
    await waitFor(async () => sendsTo(c.email).length === 1, { timeoutMs: 20_000, what: 'the approved email sent' });
    const sent = sendgrid.mailOf(sendsTo(c.email)[0]!);
    expect(sent.content?.find((x) => x.type === 'text/plain')?.value).toContain('I edited this one myself');
    await new Promise((r) => setTimeout(r, 2000));
    expect(sendsTo(c.email)).toHaveLength(1);
    const email = (await api.get(`/api/emails/${c.draft.email_id}`)).body;
    expect(email.provenance).toMatchObject({ approved_by: agent.id, ai_subject: c.draft.subject, review_reason: 'default', ai_body: expect.any(String) });
    expect(email.provenance.ai_body).not.toContain('I edited this one myself');
    expect((await api.get('/api/review')).body.items.map((i: { email_id: string }) => i.email_id)).not.toContain(c.draft.email_id);
  }, 90_000);

  it('reject skips the step and sends nothing; approving it afterwards is a 409', async () => {
    const { api } = await reviewer();
    const c = await draftFor(api, 'Jo');
    const r = await api.post(`/api/emails/${c.draft.email_id}/reject`, { reason: 'Too pushy for this client' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'rejected', provenance: { rejected_reason: 'Too pushy for this client' } });
    await waitFor(async () => (await taskStatus(api, c.id)) === 'skipped', { timeoutMs: 15_000, what: 'Day 1 skipped' });
    expect((await api.post(`/api/emails/${c.draft.email_id}/approve`, {})).status).toBe(409);
    expect(sendsTo(c.email)).toHaveLength(0);
  }, 60_000);

  it('a draft whose client replied meanwhile cannot be approved: 409 with the reason, nothing sent', async () => {
    const { api } = await reviewer();
    const c = await draftFor(api, 'Ned');
    // The agent wrote to the client by hand; the client answered that email.
    expect((await api.post('/api/emails/send', { client_id: c.id, subject: 'Quick question', body: 'Hi Ned, are you free on Saturday for a showing?' })).status).toBe(202);
    await waitFor(async () => sendsTo(c.email).length === 1, { timeoutMs: 20_000, what: 'manual email sent' });
    const replyTo = sendgrid.mailOf(sendsTo(c.email)[0]!).reply_to?.email ?? '';
    expect((await postInbound(stack.api, SECRET, { from: c.email, to: replyTo, subject: 'Re: Quick question', text: 'Saturday works!' })).body.status).toBe('matched');
    await waitFor(async () => (await api.get(`/api/clients/${c.id}`)).body.replied_at !== null, { timeoutMs: 15_000, what: 'reply projected' });
    const r = await api.post(`/api/emails/${c.draft.email_id}/approve`, {});
    expect(r.status).toBe(409);
    expect(r.body.detail).toMatch(/replied/);
    await new Promise((res) => setTimeout(res, 2000));
    expect(sendsTo(c.email)).toHaveLength(1);
  }, 60_000);

  it('regenerate writes the next revision with the agent’s instructions; the draft keeps waiting, nothing is sent', async () => {
    const { api } = await reviewer();
    const c = await draftFor(api, 'Gus');
    const r = await api.post(`/api/emails/${c.draft.email_id}/regenerate`, { agent_instructions: 'Mention the open house on Sunday' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ email_id: c.draft.email_id, status: 'awaiting_approval', subject: expect.any(String), body: expect.any(String) });
    await waitFor(
      async () => ((await api.get('/api/review')).body.items as { email_id: string; revision: number }[]).find((i) => i.email_id === c.draft.email_id)?.revision === 2,
      { timeoutMs: 15_000, what: 'revision 2 in the queue' },
    );
    expect(sendsTo(c.email)).toHaveLength(0);
  }, 60_000);

  it('bad input is a 400 with a pointer; another agent’s draft is a 404', async () => {
    const { api } = await reviewer();
    const c = await draftFor(api, 'Pia');
    const bad = await api.post(`/api/emails/${c.draft.email_id}/reject`, { reason: '' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await api.post(`/api/emails/${c.draft.email_id}/approve`, { subject: 'two\nlines' })).status).toBe(400);
    const other = await signUp(stack.api);
    expect((await other.api.post(`/api/emails/${c.draft.email_id}/approve`, {})).status).toBe(404);
    expect((await other.api.get('/api/review')).body.items).toEqual([]);
  }, 60_000);
});
