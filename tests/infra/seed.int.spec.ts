import {
  type FakeOpenAI,
  type FakeSendGrid,
  type Stack,
  startFakeOpenAI,
  startFakeSendGrid,
  startStack,
  waitFor,
} from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_LOGIN, seed } from '../../scripts/seed.ts';
import { apiClient } from '../api/http.ts';

/**
 * The demo that `npm run up` seeds (issue 10): a fresh start shows a living business — sent
 * and opened figures, a filled 30-day chart, a bounce, a reply, a draft waiting for review,
 * follow-ups due in the next hours — built from events with past times that no service acts
 * on (nothing is written or sent for the past), and a second start adds nothing.
 */
describe('the demo with a past (real stack)', () => {
  let stack: Stack;
  let openai: FakeOpenAI;
  let sendgrid: FakeSendGrid;
  beforeAll(async () => {
    [openai, sendgrid] = await Promise.all([startFakeOpenAI(), startFakeSendGrid()]);
    stack = await startStack(['projector', 'crm', 'scheduler', 'ai-agent', 'mailer', 'gateway'], {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: openai.baseUrl,
      OPENAI_MODEL: 'gpt-test',
      SENDGRID_API_KEY: 'SG.test',
      SENDGRID_BASE_URL: sendgrid.url,
    });
  });
  afterAll(async () => {
    await stack?.dispose();
    await Promise.all([openai?.close(), sendgrid?.close()]);
  });

  it('seeds six weeks through events, shows them on the dashboard, acts on none of them, and seeds nothing twice', {
    timeout: 120_000,
  }, async () => {
    const now = new Date();
    const first = await seed(stack.api, () => {}, { natsUrl: stack.nats.url, now });
    expect(first).toMatchObject({ agent: 'created' });
    expect(first.clientsCreated).toBeGreaterThan(0);
    expect(first.historyEvents).toBeGreaterThan(150);
    const login = await apiClient(stack.api).post('/api/auth/login', { email: DEMO_LOGIN.email, password: DEMO_LOGIN.password });
    const api = apiClient(stack.api, login.body.token);

    // The past, as the projector built it from the events.
    // Settled: the last events of the past (Mia's draft, the replies) are projected.
    await waitFor(async () => (await api.get('/api/review')).body.items?.length === 1, {
      what: 'the draft of the past projected',
      timeoutMs: 60_000,
    });
    const stats = await waitFor(
      async () => {
        const s = (await api.get('/api/dashboard/stats')).body;
        return s.emails?.sent >= 20 && s.emails.bounced === 1 && s;
      },
      { what: 'the past projected', timeoutMs: 60_000 },
    );
    expect(stats.emails.opened).toBeGreaterThan(10);
    expect(stats.emails.clicked).toBeGreaterThan(3);
    const daysWithSends = stats.daily.filter((d: { sent: number }) => d.sent > 0).length;
    expect(daysWithSends).toBeGreaterThanOrEqual(10);
    const total = await waitFor(
      async () => {
        const t = (await api.get('/api/clients?limit=1')).body.total;
        return t >= 14 + first.clientsCreated && t;
      },
      { what: 'every client projected' },
    );
    expect(stats.clients_total).toBe(total);
    // A past client's email is taken, as any client's is.
    expect((await api.post('/api/clients', { name: 'Again', email: 'sofia.alvarez@past.example.com', plan_id: null })).status).toBe(409);
    const review = await api.get('/api/review');
    expect(review.body.items).toHaveLength(1);
    const sofia = await waitFor(
      async () => {
        const c = (await api.get('/api/clients?q=sofia.alvarez')).body.items[0];
        return c?.replied_at && c;
      },
      { what: 'the reply projected' },
    );
    const conversation = await api.get(`/api/clients/${sofia.id}/conversation`);
    expect(conversation.body.items.some((i: { kind: string }) => i.kind === 'reply')).toBe(true);
    // Follow-ups due in the next hours, planned by the live scheduler.
    const upcoming = await waitFor(
      async () => {
        const tasks = (await api.get('/api/tasks?status=pending&limit=100')).body.items as { scheduled_for: string }[];
        const soon = tasks.filter((t) => Date.parse(t.scheduled_for) - now.getTime() < 6 * 3_600_000);
        return soon.length >= 3 && soon;
      },
      { what: 'follow-ups due in the next hours', timeoutMs: 20_000 },
    );
    expect(upcoming.length).toBeGreaterThanOrEqual(3);

    // No service acted on the past: no email written or sent, no plan started for it.
    await new Promise((r) => setTimeout(r, 3000));
    expect(openai.completions().length).toBe(0);
    expect(sendgrid.sends().length).toBe(0);

    // A second start: nothing added.
    const again = await seed(stack.api, () => {}, { natsUrl: stack.nats.url, now: new Date() });
    expect(again).toMatchObject({ agent: 'existing', clientsCreated: 0, historyEvents: 0 });
    const after = (await api.get('/api/dashboard/stats')).body;
    expect(after.emails).toEqual(stats.emails);
    expect(after.clients_total).toBe(stats.clients_total);

    // The draft of the past is a real one: approved now, it is sent once.
    const draft = review.body.items[0];
    expect((await api.post(`/api/emails/${draft.email_id}/approve`, {})).status).toBeLessThan(300);
    await waitFor(async () => sendgrid.sends().length === 1, { what: 'the approved draft sent', timeoutMs: 30_000 });
  });
});
