import { startStack, type Stack } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './http.ts';

/** Client tags (issue 10) end to end: gateway → crm → JetStream → projector → Postgres, and `?tag=`. */
describe('client tags on the real stack', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'gateway']);
  });
  afterAll(async () => stack?.dispose());

  const ids = (body: { items: { id: string }[] }) => body.items.map((c) => c.id).sort();

  it('tags set on create and replaced by PATCH show in the client, the list and the read model (trimmed, case kept)', async () => {
    const { api, agent } = await signUp(stack.api);
    const created = await api.post('/api/clients', {
      name: 'Tia Tag',
      email: 'tia@example.com',
      plan_id: null,
      tags: [' VIP ', 'Buyer 2027'],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.tags).toEqual(['VIP', 'Buyer 2027']);
    const id = created.body.id as string;
    expect((await api.get(`/api/clients/${id}`)).body.tags).toEqual(['VIP', 'Buyer 2027']);
    expect((await api.get('/api/clients')).body.items[0].tags).toEqual(['VIP', 'Buyer 2027']);

    const patched = await api.patch(`/api/clients/${id}`, { tags: ['Seller', 'vip'] });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.tags).toEqual(['Seller', 'vip']);
    const row = await stack.database.db.selectFrom('clients').select(['tags', 'tag_keys']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ tags: ['Seller', 'vip'], tag_keys: ['seller', 'vip'] });

    // A stage change with tags is one event; the read model applies both.
    await api.patch(`/api/clients/${id}`, { stage: 'qualified', tags: [] });
    expect((await api.get(`/api/clients/${id}`)).body).toMatchObject({ stage: 'qualified', tags: [] });
    // A client created without tags has none.
    const plain = await api.post('/api/clients', { name: 'No Tags', email: 'none@example.com', plan_id: null });
    expect(plain.body.tags).toEqual([]);
    expect(agent.id).toBeTruthy();
  });

  it('?tag= matches a whole tag case-insensitively, combines with the other filters, and never shows another agent’s clients', async () => {
    const a = await signUp(stack.api);
    const b = await signUp(stack.api);
    const make = async (api: typeof a.api, name: string, extra: Record<string, unknown>) => {
      const r = await api.post('/api/clients', {
        name,
        email: `${name.toLowerCase().replace(/ /g, '.')}@example.com`,
        plan_id: null,
        ...extra,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id as string;
    };
    const vipLead = await make(a.api, 'Vip Lead', { tags: ['VIP'] });
    const vipQualified = await make(a.api, 'Vip Qualified', { tags: ['vip', 'Investor'], stage: 'qualified' });
    await make(a.api, 'Vipper', { tags: ['VIPs'] });
    await make(a.api, 'Untagged', {});
    await make(b.api, 'Other Vip', { tags: ['VIP'] });

    expect(ids((await a.api.get('/api/clients?tag=vip')).body)).toEqual([vipLead, vipQualified].sort());
    expect(ids((await a.api.get('/api/clients?tag=ViP')).body)).toEqual([vipLead, vipQualified].sort());
    expect((await a.api.get('/api/clients?tag=vip')).body.total).toBe(2);
    expect(ids((await a.api.get('/api/clients?tag=VIP&stage=qualified')).body)).toEqual([vipQualified]);
    expect(ids((await a.api.get('/api/clients?tag=vip&q=lead')).body)).toEqual([vipLead]);
    expect(ids((await a.api.get('/api/clients?tag=investor')).body)).toEqual([vipQualified]);
    expect((await a.api.get('/api/clients?tag=vi')).body.total).toBe(0);
    const others = (await b.api.get('/api/clients?tag=vip')).body;
    expect(others.total).toBe(1);
    expect(others.items[0].name).toBe('Other Vip');
  });

  it('bad tags are a 400 problem with a pointer, on create and on PATCH; nothing is written', async () => {
    const { api } = await signUp(stack.api);
    const base = { name: 'Bad Tags', email: 'bad.tags@example.com', plan_id: null };
    const cases: [string, unknown, string][] = [
      ['too long', ['x'.repeat(41)], '/tags/0'],
      ['too many', Array.from({ length: 51 }, (_, i) => `t${i}`), '/tags'],
      ['empty', [''], '/tags/0'],
      ['only spaces', ['   '], '/tags/0'],
      ['a comma', ['a,b'], '/tags/0'],
      ['a control character', ['a\tb'], '/tags/0'],
      ['not a list', 'VIP', '/tags'],
      ['the same tag twice, in another case', ['VIP', 'Buyer', 'vip'], '/tags/2'],
    ];
    for (const [what, tags, pointer] of cases) {
      const r = await api.post('/api/clients', { ...base, tags });
      expect(r.status, what).toBe(400);
      expect(r.headers.get('content-type'), what).toMatch(/application\/problem\+json/);
      expect(
        r.body.errors.map((e: { pointer: string }) => e.pointer),
        what,
      ).toContain(pointer);
    }
    expect((await api.get('/api/clients')).body.total).toBe(0);

    const ok = await api.post('/api/clients', { ...base, tags: ['x'.repeat(40)] });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    for (const [what, tags, pointer] of cases) {
      const r = await api.patch(`/api/clients/${ok.body.id}`, { tags });
      expect(r.status, what).toBe(400);
      expect(
        r.body.errors.map((e: { pointer: string }) => e.pointer),
        what,
      ).toContain(pointer);
    }
    expect((await api.get(`/api/clients/${ok.body.id}`)).body.tags).toEqual(['x'.repeat(40)]);
    // Up to 50 is fine.
    const fifty = Array.from({ length: 50 }, (_, i) => `t${i}`);
    expect((await api.patch(`/api/clients/${ok.body.id}`, { tags: fifty })).body.tags).toEqual(fifty);
    expect((await api.get('/api/clients?tag=%00')).status).toBe(400);
  });
});
