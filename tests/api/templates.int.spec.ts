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
import { type apiClient, signUp } from './http.ts';

type Api = ReturnType<typeof apiClient>;
type TemplateBody = { id: string; name: string; subject: string; body: string; fields: string[]; version: number };

/**
 * Email templates (issue 10) on the real stack: gateway → crm over NATS → JetStream →
 * projector → Postgres for the templates themselves; the ai-agent renders them for manual
 * emails and plan steps; OpenAI and SendGrid are local fakes driven through the real SDKs.
 * The default plan's Day 1 goes 3 s after a client is added (the plan-step tests); clients of
 * the other tests join no plan.
 */
describe('email templates on the real stack', () => {
  let stack: Stack;
  let openai: FakeOpenAI;
  let sendgrid: FakeSendGrid;

  beforeAll(async () => {
    [openai, sendgrid] = await Promise.all([startFakeOpenAI(), startFakeSendGrid()]);
    stack = await startStack(['projector', 'crm', 'scheduler', 'ai-agent', 'mailer', 'gateway'], {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: openai.baseUrl,
      OPENAI_MODEL: 'gpt-test',
      OPENAI_MAX_RETRIES: '1',
      OPENAI_TIMEOUT_MS: '3000',
      SENDGRID_API_KEY: 'SG.test',
      SENDGRID_BASE_URL: sendgrid.url,
      MAILER_RETRY_BASE_MS: '50',
      FOLLOWUP_SCHEDULE: JSON.stringify({
        'Day 1': { offset_seconds: 3 },
        'Day 3': { offset_days: 3 },
        'Week 1': { offset_days: 7 },
        'Week 2': { offset_days: 14 },
        'Month 1': { offset_days: 30 },
      }),
    });
  });
  afterAll(async () => {
    await stack?.dispose();
    await Promise.all([openai?.close(), sendgrid?.close()]);
  });

  const template = {
    name: 'Open house',
    subject: 'Open house at {{ property_address }}',
    body: 'Hi {{first_name}},\n\nBudget {{ custom.budget | to be discussed }}.\n\n{{agent_name}}',
  };
  const sendsTo = (email: string) => sendgrid.sends().filter((r) => sendgrid.mailOf(r).personalizations?.[0]?.to?.[0]?.email === email);
  let n = 0;
  async function newClient(api: Api, name: string, over: Record<string, unknown> = { plan_id: null }) {
    const email = `${name.split(' ')[0]!.toLowerCase()}.${Date.now().toString(36)}${++n}@example.com`;
    const r = await api.post('/api/clients', {
      name,
      email,
      property_address: '12 Oak Street',
      property_type: 'residential',
      stage: 'qualified',
      custom_fields: { budget: '$650,000' },
      ...over,
    });
    expect(r.status).toBe(201);
    return { id: r.body.id as string, email };
  }
  async function create(api: Api, body: Record<string, unknown> = template) {
    const r = await api.post<TemplateBody>('/api/templates', body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r;
  }

  it('create (201, ETag), list, get, patch (If-Match), delete; another agent sees 404 and cannot change it', async () => {
    const { api } = await signUp(stack.api, 'Jane Agent');
    const other = await signUp(stack.api, 'Other Agent');
    const created = await create(api);
    expect(created.body).toMatchObject({
      ...template,
      version: 1,
      fields: ['property_address', 'first_name', 'custom.budget', 'agent_name'],
    });
    const etag = created.headers.get('etag');
    expect(etag).toMatch(/^"\d+"$/);

    const list = await api.get('/api/templates');
    expect(list.status).toBe(200);
    expect(list.body.items.map((t: TemplateBody) => t.id)).toEqual([created.body.id]);
    expect(list.body.merge_fields.map((f: { name: string }) => f.name)).toEqual(
      expect.arrayContaining(['first_name', 'agent_name', 'property_address']),
    );
    const got = await api.get(`/api/templates/${created.body.id}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('etag')).toBe(etag);

    // Tenancy: another agent's template is not there for them, for reads and writes alike.
    for (const r of [
      await other.api.get(`/api/templates/${created.body.id}`),
      await other.api.patch(`/api/templates/${created.body.id}`, { name: 'Mine now' }),
      await other.api.del(`/api/templates/${created.body.id}`),
    ]) {
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect((await other.api.get('/api/templates')).body.items).toEqual([]);

    const patched = await api.call('PATCH', `/api/templates/${created.body.id}`, { name: 'Open house v2' }, { 'if-match': etag! });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Open house v2', subject: template.subject, version: 2 });
    const stale = await api.call('PATCH', `/api/templates/${created.body.id}`, { name: 'Stale' }, { 'if-match': etag! });
    expect(stale.status).toBe(412);
    expect((await api.get(`/api/templates/${created.body.id}`)).body.name).toBe('Open house v2');

    expect((await api.del(`/api/templates/${created.body.id}`)).status).toBe(204);
    expect((await api.get(`/api/templates/${created.body.id}`)).status).toBe(404);
    expect((await api.get('/api/templates')).body.items).toEqual([]);
    expect((await api.del(`/api/templates/${created.body.id}`)).status).toBe(404);
  });

  it('an unknown merge field or an unclosed {{ → 400 naming it with the pointer; nothing stored', async () => {
    const { api } = await signUp(stack.api);
    const bad = await api.post('/api/templates', { ...template, subject: 'Hi {{ firstname }}', body: 'About {{ budget }}' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(bad.body.errors).toEqual([
      { pointer: '/subject', detail: expect.stringContaining('unknown merge field "firstname"') },
      { pointer: '/body', detail: expect.stringContaining('unknown merge field "budget"') },
    ]);
    const unclosed = await api.post('/api/templates', { ...template, body: 'Hi {{first_name' });
    expect(unclosed.status).toBe(400);
    expect(unclosed.body.errors).toEqual([{ pointer: '/body', detail: expect.stringContaining('never closed') }]);
    expect((await api.post('/api/templates', { ...template, subject: 'two\nlines' })).status).toBe(400);
    expect((await api.get('/api/templates')).body.items).toEqual([]);

    const ok = await create(api);
    const patch = await api.patch(`/api/templates/${ok.body.id}`, { body: '{{ nope }}' });
    expect(patch.status).toBe(400);
    expect(patch.body.errors).toEqual([{ pointer: '/body', detail: expect.stringContaining('"nope"') }]);
    expect((await api.get(`/api/templates/${ok.body.id}`)).body).toMatchObject({ body: template.body, version: 1 });
  });

  it('a manual send with a template as is reaches SendGrid with the merge fields filled, no AI call', async () => {
    const { api } = await signUp(stack.api, 'Jane Agent');
    const t = await create(api);
    const c = await newClient(api, 'Maria Lopez');
    const before = openai.completions().length;
    const preview = await api.post('/api/emails/preview', { client_id: c.id, followup_type: 'Custom', template_id: t.body.id });
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({ subject: 'Open house at 12 Oak Street', body: 'Hi Maria,\n\nBudget $650,000.\n\nJane Agent' });
    const sent = await api.post('/api/emails/send', { client_id: c.id, template_id: t.body.id, template_use: 'as_is' });
    expect(sent.status).toBe(202);
    const send = await waitFor(async () => sendsTo(c.email)[0], { what: 'the SendGrid request', timeoutMs: 20_000 });
    const mail = sendgrid.mailOf(send);
    expect(mail.subject).toBe('Open house at 12 Oak Street');
    const text = (mail.content as { type: string; value: string }[] | undefined)?.find((p) => p.type === 'text/plain')?.value ?? '';
    expect(text).toContain('Hi Maria,\n\nBudget $650,000.\n\nJane Agent');
    expect(openai.completions().length).toBe(before);
    const email = await waitFor(
      async () =>
        (await api.get(`/api/emails/${sent.body.email_id}`)).body?.provenance
          ? (await api.get(`/api/emails/${sent.body.email_id}`)).body
          : null,
      { what: 'the email' },
    );
    expect(email.provenance).toMatchObject({ provider: 'agent_template', fallback_reason: null });
    expect(email.provenance.facts).toEqual(expect.arrayContaining([{ label: 'Template', value: 'Open house (as is)' }]));
  });

  it("ai_base puts the rendered template into the AI prompt; an unknown or another agent's template → 400 /template_id", async () => {
    const { api } = await signUp(stack.api, 'Jane Agent');
    const other = await signUp(stack.api, 'Other Agent');
    const mine = await create(api, { ...template, body: 'Hi {{first_name}}, the open house on Saturday is for you. {{agent_name}}' });
    const theirs = await create(other.api);
    const c = await newClient(api, 'Tom Reed');
    const sent = await api.post('/api/emails/send', { client_id: c.id, template_id: mine.body.id, template_use: 'ai_base' });
    expect(sent.status).toBe(202);
    const call = openai.completions().find((r) => openai.promptOf(r).includes('the open house on Saturday is for you'));
    expect(call).toBeDefined();
    const prompt = openai.promptOf(call!);
    expect(prompt).toContain('Hi Tom, the open house on Saturday is for you. Jane Agent');
    expect(prompt).toContain('Template subject: Open house at 12 Oak Street');
    expect(prompt).not.toContain('{{');
    await waitFor(async () => sendsTo(c.email)[0], { what: 'the AI email sent', timeoutMs: 20_000 });

    for (const id of [theirs.body.id, '0190a000-0000-7000-8000-00000000dead']) {
      const r = await api.post('/api/emails/send', { client_id: c.id, template_id: id });
      expect(r.status).toBe(400);
      expect(r.body.errors).toEqual([{ pointer: '/template_id', detail: expect.any(String) }]);
    }
  });

  it("a plan step with a template fires an email rendered from it; a plan naming another agent's template → 400", async () => {
    const { api } = await signUp(stack.api, 'Jane Agent');
    const other = await signUp(stack.api, 'Other Agent');
    const t = await create(api, { ...template, subject: 'Day one for {{first_name}}' });
    const theirs = await create(other.api);
    const refused = await api.post('/api/plans', {
      name: 'Theirs',
      steps: [{ label: 'Day 1', offset_days: 1, template_id: theirs.body.id }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ pointer: '/steps/0/template_id', detail: expect.any(String) }]);

    const plan = (await api.get('/api/plans')).body.items.find((p: { is_default: boolean }) => p.is_default);
    const steps = plan.steps.map((s: { id: string; label: string; offset_days: number }) =>
      s.label === 'Day 1'
        ? { id: s.id, label: s.label, offset_days: s.offset_days, template_id: t.body.id, template_use: 'as_is' }
        : { id: s.id, label: s.label, offset_days: s.offset_days },
    );
    const refusedPatch = await api.patch(`/api/plans/${plan.id}`, {
      steps: steps.map((s: object, i: number) => (i === 0 ? { ...s, template_id: theirs.body.id } : s)),
    });
    expect(refusedPatch.status).toBe(400);
    const saved = await api.patch(`/api/plans/${plan.id}`, { steps });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body.steps[0]).toMatchObject({ template_id: t.body.id, template_use: 'as_is' });

    const c = await newClient(api, 'Ana Diaz', {});
    const send = await waitFor(async () => sendsTo(c.email)[0], { what: 'the Day 1 email', timeoutMs: 30_000 });
    expect(sendgrid.mailOf(send).subject).toBe('Day one for Ana');

    // Deleted by the time the step fires: an ordinary AI email, and the email says why.
    expect((await api.del(`/api/templates/${t.body.id}`)).status).toBe(204);
    const late = await newClient(api, 'Lee Park', {});
    const lateSend = await waitFor(async () => sendsTo(late.email)[0], { what: 'the fallback Day 1 email', timeoutMs: 30_000 });
    expect(sendgrid.mailOf(lateSend).subject).not.toBe('Day one for Lee');
    const email = await waitFor(
      async () => (await api.get(`/api/clients/${late.id}/emails`)).body.items?.find((e: { sent_at: string | null }) => e.sent_at),
      { what: 'the fallback email' },
    );
    const full = (await api.get(`/api/emails/${email.id}`)).body;
    expect(full.provenance.provider).toBe('openai');
    expect(full.provenance.fallback_reason).toMatch(/template "Open house" was deleted: written without it/);
  });
});
