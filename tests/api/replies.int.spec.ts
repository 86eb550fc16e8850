import { sql } from '@realtoros/db';
import { type FakeSendGrid, postInbound, type Stack, startFakeSendGrid, startStack, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type apiClient, signUp } from './http.ts';

type Api = ReturnType<typeof apiClient>;
const DOMAIN = 'in.realtoros.test';
const SECRET = 'inbound-secret-inbound-secret';
const DAY1_S = 2;
const DAY3_S = 25;

/**
 * Replies through SendGrid Inbound Parse on the real stack: the fake SendGrid records what the
 * mailer sent (its Reply-To token and Message-ID), the test posts real multipart bodies to the
 * gateway as Inbound Parse does, and the plan's later steps must never reach SendGrid.
 */
describe('replies stop the plan (SendGrid Inbound Parse)', () => {
  let stack: Stack;
  let sendgrid: FakeSendGrid;
  beforeAll(async () => {
    sendgrid = await startFakeSendGrid();
    stack = await startStack(['projector', 'crm', 'scheduler', 'ai-agent', 'mailer', 'gateway'], {
      SENDGRID_API_KEY: 'SG.test',
      SENDGRID_BASE_URL: sendgrid.url,
      INBOUND_DOMAIN: DOMAIN,
      INBOUND_PARSE_SECRET: SECRET,
      // An auto-reply pauses for ~10 s here (days in production).
      AUTO_REPLY_PAUSE_DAYS: String(10 / 86_400),
      MAILER_RETRY_BASE_MS: '50',
      FOLLOWUP_SCHEDULE: JSON.stringify({
        'Day 1': { offset_seconds: DAY1_S },
        'Day 3': { offset_seconds: DAY3_S },
        'Week 1': { offset_days: 7 },
        'Week 2': { offset_days: 14 },
        'Month 1': { offset_days: 30 },
      }),
    });
  }, 240_000);
  afterAll(async () => {
    await stack?.dispose();
    await sendgrid?.close();
  });

  const sendsTo = (email: string) => sendgrid.accepted().filter((r) => sendgrid.mailOf(r).personalizations?.[0]?.to?.[0]?.email === email);
  async function clientWithDay1(api: Api, name: string) {
    const email = `${name.toLowerCase()}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`;
    const r = await api.post('/api/clients', { name: `${name} Client`, email, stage: 'qualified' });
    expect(r.status).toBe(201);
    await waitFor(async () => sendsTo(email).length === 1, { timeoutMs: 30_000, what: `${name}'s Day 1 sent` });
    const mail = sendgrid.mailOf(sendsTo(email)[0]!);
    return { id: r.body.id as string, email, replyTo: mail.reply_to?.email ?? '', messageId: mail.headers?.['Message-ID'] ?? '' };
  }
  const enrollment = async (api: Api, id: string) =>
    (await api.get(`/api/clients/${id}`)).body.enrollment as { status: string; ended_reason?: string | null; paused_until?: string | null };
  const day3 = async (api: Api, id: string) =>
    ((await api.get(`/api/clients/${id}/tasks?limit=100`)).body.items as { followup_type: string; status: string }[]).find(
      (t) => t.followup_type === 'Day 3',
    )?.status;
  const counts = async () => {
    const { rows } = await sql<{
      replies: number;
      unmatched: number;
    }>`SELECT (SELECT count(*)::int FROM replies) AS replies, (SELECT count(*)::int FROM inbound_unmatched) AS unmatched`.execute(
      stack.database.db,
    );
    return rows[0]!;
  };

  it('a reply by its Reply-To token ends the plan (replied), cancels the pending steps, and nothing more is sent', async () => {
    const { api } = await signUp(stack.api);
    const c = await clientWithDay1(api, 'Tess');
    expect(c.replyTo).toMatch(new RegExp(`^reply\\+[a-z2-7]{42}@${DOMAIN.replace(/\./g, '\\.')}$`));
    const r = await postInbound(stack.api, SECRET, {
      from: `Tess Client <${c.email}>`,
      to: c.replyTo,
      subject: 'Re: Following up',
      text: 'We bought elsewhere, thanks!\n\nOn Tue, Dec 1, 2026 at 10:00 AM Agent <followups@realtoros.local> wrote:\n> Hi Tess,\n> Just checking in',
    });
    expect(r).toMatchObject({ status: 200, body: { status: 'matched' } });
    await waitFor(async () => (await enrollment(api, c.id))?.status === 'ended', { timeoutMs: 15_000, what: 'enrolment ended' });
    expect((await enrollment(api, c.id)).ended_reason).toBe('replied');
    await waitFor(async () => (await day3(api, c.id)) === 'cancelled', { timeoutMs: 15_000, what: 'Day 3 cancelled' });
    const thread = (await api.get(`/api/clients/${c.id}/conversation`)).body.items as { kind: string; text: string }[];
    expect(thread.map((i) => i.kind)).toEqual(['sent', 'reply']);
    expect(thread[1]!.text).toBe('We bought elsewhere, thanks!');
    expect((await api.get(`/api/clients/${c.id}`)).body.replied_at).toEqual(expect.any(String));
    // Past Day 3's time: still the one email.
    await new Promise((res) => setTimeout(res, (DAY3_S + 3) * 1000 - 10_000));
    expect(sendsTo(c.email)).toHaveLength(1);
  }, 90_000);

  it('a reply that lost the token is matched by In-Reply-To against our Message-ID; the same post again records nothing more', async () => {
    const { api } = await signUp(stack.api);
    const c = await clientWithDay1(api, 'Ira');
    expect(c.messageId).toMatch(/^<[0-9a-f-]{36}@in\.realtoros\.test>$/);
    const message = {
      from: c.email,
      to: 'agent@example.com',
      subject: 'Re: hello',
      text: 'Call me tomorrow please',
      headers: [
        `From: ${c.email}`,
        'To: agent@example.com',
        'Subject: Re: hello',
        'Message-ID: <abc123@mail.example.com>',
        `In-Reply-To: ${c.messageId}`,
        `References: ${c.messageId}`,
      ],
    };
    expect(await postInbound(stack.api, SECRET, message)).toMatchObject({ status: 200, body: { status: 'matched' } });
    expect(await postInbound(stack.api, SECRET, message)).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    await waitFor(async () => (await enrollment(api, c.id))?.ended_reason === 'replied', { timeoutMs: 15_000, what: 'ended by the reply' });
    await waitFor(async () => (await day3(api, c.id)) === 'cancelled', { timeoutMs: 15_000, what: 'Day 3 cancelled' });
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM replies WHERE client_id = ${c.id}`.execute(stack.database.db);
    expect(rows[0]!.n).toBe(1);
  }, 60_000);

  it('an out-of-office pauses the plan, which resumes by itself when the pause is over', async () => {
    const { api } = await signUp(stack.api);
    const c = await clientWithDay1(api, 'Otto');
    const r = await postInbound(stack.api, SECRET, {
      from: c.email,
      to: c.replyTo,
      subject: 'Out of office: back Monday',
      text: 'I am away until Monday.',
      headers: [`From: ${c.email}`, 'Subject: Out of office: back Monday', 'Auto-Submitted: auto-replied'],
    });
    expect(r).toMatchObject({ status: 200, body: { status: 'auto_reply' } });
    await waitFor(async () => (await enrollment(api, c.id))?.status === 'paused', { timeoutMs: 15_000, what: 'paused' });
    expect((await enrollment(api, c.id)).paused_until).toEqual(expect.any(String));
    expect((await api.get(`/api/clients/${c.id}`)).body.replied_at).toBeNull();
    await waitFor(async () => (await enrollment(api, c.id))?.status === 'active', { timeoutMs: 40_000, what: 'resumed by itself' });
  }, 90_000);

  it('a plan that says "pause" on a reply pauses instead of ending: the next step waits (held, not cancelled), nothing is sent, until the agent resumes', async () => {
    const { api } = await signUp(stack.api);
    // The default plan is made from AgentRegistered (another event, projected after sign-up answers).
    const standard = await waitFor(
      async () =>
        ((await api.get('/api/plans')).body.items as { id: string; is_default: boolean; on_reply: string }[]).find((p) => p.is_default),
      { what: 'the default plan' },
    );
    expect(standard.on_reply).toBe('end');
    const patched = await api.patch(`/api/plans/${standard.id}`, { on_reply: 'pause' });
    expect(patched).toMatchObject({ status: 200, body: { on_reply: 'pause', version: 2 } });
    await waitFor(async () => ((await api.get(`/api/plans/${standard.id}`)).body as { on_reply: string }).on_reply === 'pause', {
      timeoutMs: 10_000,
      what: 'the plan read model has on_reply',
    });
    const c = await clientWithDay1(api, 'Paula');
    expect(
      await postInbound(stack.api, SECRET, { from: c.email, to: c.replyTo, subject: 'Re: hi', text: 'Let me think about it.' }),
    ).toMatchObject({
      status: 200,
      body: { status: 'matched' },
    });
    await waitFor(async () => (await enrollment(api, c.id))?.status === 'paused', { timeoutMs: 15_000, what: 'paused by the reply' });
    expect(await enrollment(api, c.id)).toMatchObject({ status: 'paused', paused_until: null, ended_reason: null });
    const day3Task = async () =>
      (
        (await api.get(`/api/clients/${c.id}/tasks?limit=100`)).body.items as {
          followup_type: string;
          status: string;
          held_reason: string | null;
        }[]
      ).find((t) => t.followup_type === 'Day 3');
    await waitFor(async () => (await day3Task())?.held_reason === 'paused', { timeoutMs: 15_000, what: 'Day 3 held' });
    expect((await day3Task())?.status).toBe('pending');
    expect((await api.get(`/api/clients/${c.id}`)).body.replied_at).toEqual(expect.any(String));
    await new Promise((res) => setTimeout(res, (DAY3_S + 3) * 1000 - 8_000));
    expect(sendsTo(c.email)).toHaveLength(1);
    expect((await api.patch(`/api/clients/${c.id}/enrollment`, { action: 'resume' })).status).toBe(200);
    await waitFor(async () => (await enrollment(api, c.id))?.status === 'active', { timeoutMs: 15_000, what: 'resumed by the agent' });
  }, 90_000);

  it('a forged secret → 401 and nothing recorded; an unknown token → 200, recorded as unmatched, nobody changed; 50 MB → 413', async () => {
    const { api } = await signUp(stack.api);
    const c = await clientWithDay1(api, 'Una');
    const before = await counts();
    const forged = await postInbound(stack.api, 'not-the-secret-at-all', { from: c.email, to: c.replyTo, subject: 'Re: x', text: 'hi' });
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ status: 401 });
    expect((await postInbound(stack.api, null, { from: c.email, to: c.replyTo, subject: 'Re: x', text: 'hi' })).status).toBe(401);
    const unknown = await postInbound(stack.api, SECRET, {
      from: c.email,
      to: `reply+${'a'.repeat(42)}@${DOMAIN}`,
      subject: 'Re: x',
      text: 'hi',
    });
    expect(unknown).toMatchObject({ status: 200, body: { status: 'unmatched' } });
    const big = await postInbound(stack.api, SECRET, {
      from: c.email,
      to: c.replyTo,
      subject: 'Re: photos',
      text: 'see attached',
      attachments: [{ filename: 'house.jpg', type: 'image/jpeg', content: new Uint8Array(50 * 1024 * 1024) }],
    }).catch((err: Error) => ({ status: -1, body: err.message }));
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ status: 413, detail: expect.stringContaining('nothing was recorded') });
    await waitFor(async () => (await counts()).unmatched === before.unmatched + 1, { timeoutMs: 10_000, what: 'unmatched recorded' });
    expect((await counts()).replies).toBe(before.replies);
    expect((await enrollment(api, c.id)).status).toBe('active');
  }, 60_000);

  it("another agent's token touches only that agent's client; a token and an In-Reply-To of two agents match nobody", async () => {
    const a = await signUp(stack.api);
    const b = await signUp(stack.api);
    const ca = await clientWithDay1(a.api, 'Amy');
    const cb = await clientWithDay1(b.api, 'Bea');
    const mixed = await postInbound(stack.api, SECRET, {
      from: ca.email,
      to: cb.replyTo,
      subject: 'Re: hi',
      text: 'hello',
      headers: [`From: ${ca.email}`, 'Subject: Re: hi', `In-Reply-To: ${ca.messageId}`],
    });
    expect(mixed).toMatchObject({ status: 200, body: { status: 'unmatched' } });
    expect(await postInbound(stack.api, SECRET, { from: ca.email, to: cb.replyTo, subject: 'Re: hi', text: 'wrong thread' })).toMatchObject(
      {
        status: 200,
        body: { status: 'matched' },
      },
    );
    await waitFor(async () => (await enrollment(b.api, cb.id))?.status === 'ended', { timeoutMs: 15_000, what: "B's client ended" });
    expect((await enrollment(a.api, ca.id)).status).toBe('active');
    expect((await a.api.get(`/api/clients/${ca.id}/conversation`)).body.items.map((i: { kind: string }) => i.kind)).toEqual(['sent']);
  }, 60_000);
});
