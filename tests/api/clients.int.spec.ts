import { startStack, waitFor, type Stack } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, signUp } from './http.ts';

/** The client slice end to end: gateway → crm over NATS → JetStream → projector → Postgres. */
describe('client API on the real stack', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'gateway']);
  });
  afterAll(async () => stack?.dispose());

  it('signs up, logs in, and answers /me; 401 without or with a bad token', async () => {
    const anon = apiClient(stack.api);
    const { email, api, agent } = await signUp(stack.api, 'Dana');
    const login = await anon.post('/api/auth/login', { email, password: 'correct-horse-1' });
    expect(login.status).toBe(200);
    expect(login.body.agent.id).toBe(agent.id);
    expect((await api.get('/api/auth/me')).body).toMatchObject({ id: agent.id, email, name: 'Dana' });
    expect((await anon.post('/api/auth/login', { email, password: 'wrong-password' })).status).toBe(401);
    expect((await anon.get('/api/clients')).status).toBe(401);
    expect((await apiClient(stack.api, 'not.a.token').get('/api/clients')).status).toBe(401);
    const dup = await anon.post('/api/auth/signup', { email, password: 'another-pass-2', name: 'X' });
    expect(dup.status).toBe(409);
  });

  it('creates, reads back at once (read-your-writes), updates partially, changes stage, deletes', async () => {
    const { api } = await signUp(stack.api);
    const created = await api.post('/api/clients', {
      name: 'Maya Chen',
      email: 'maya@example.com',
      phone: '555-0100',
      property_type: 'residential',
      notes: 'Wants a yard',
      custom_fields: { budget: 650000 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Maya Chen',
      email: 'maya@example.com',
      stage: 'lead',
      custom_fields: { budget: 650000 },
      is_deleted: false,
    });
    const id = created.body.id;
    expect((await api.get(`/api/clients/${id}`)).body.phone).toBe('555-0100');
    const patched = await api.patch(`/api/clients/${id}`, { phone: '555-0199', stage: 'qualified' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ phone: '555-0199', stage: 'qualified', notes: 'Wants a yard' });
    expect((await api.get(`/api/clients?stage=qualified`)).body.items.map((c: { id: string }) => c.id)).toEqual([id]);
    const history = await api.get(`/api/clients/${id}/events`);
    // One command, one event: the stage change carries the phone (the read model applies both).
    expect(history.body.items.map((e: { type: string }) => e.type)).toEqual(['ClientCreated', 'ClientStageChanged']);
    expect((await api.get(`/api/clients/${id}`)).body).toMatchObject({ phone: '555-0199', stage: 'qualified' });
    expect((await api.del(`/api/clients/${id}`)).status).toBe(204);
    expect((await api.get(`/api/clients/${id}`)).status).toBe(404);
    expect((await api.get('/api/clients')).body.total).toBe(0);
    // The email is free again once its client is deleted.
    expect((await api.post('/api/clients', { name: 'Maya Chen', email: 'maya@example.com' })).status).toBe(201);
  });

  it("the creation's answer is the row a read returns right after it, with the same ETag", async () => {
    // POST answers from crm's result once the projector has the client (no read back): it
    // must be exactly what the read model holds, every field, whatever the input carried.
    const { api } = await signUp(stack.api);
    const created = await api.post('/api/clients', {
      name: '  Zoë  Ng ',
      email: 'Zoe.NG@Example.com',
      phone: '555-0101',
      property_address: '1 Elm St',
      property_type: 'multi_family',
      stage: 'qualified',
      notes: 'Prefers texts',
      custom_fields: { zeta: 1, a: 'x', budget: 400000, pets: true },
      tags: [' Buyer ', 'VIP'],
      time_zone: 'America/Chicago',
    });
    expect(created.body).toMatchObject({ id: expect.any(String) });
    expect(created.status).toBe(201);
    const read = await api.get(`/api/clients/${created.body.id}`);
    expect(read.status).toBe(200);
    // The scheduler's enrolment may land between the two; it is not the creation's business.
    const { enrollment: _e, ...readRest } = read.body;
    const { enrollment: _c, ...createdRest } = created.body;
    expect(createdRest).toEqual(readRest);
    expect(created.headers.get('etag')).toBe(read.headers.get('etag'));
    expect(created.headers.get('etag')).toMatch(/^"\d+"$/);
  });

  it('two concurrent creates with one email: exactly one wins, the other gets 409', async () => {
    const { api } = await signUp(stack.api);
    const attempts = await Promise.all(
      Array.from({ length: 6 }, (_, i) => api.post('/api/clients', { name: `Twin ${i}`, email: 'twin@example.com' })),
    );
    const statuses = attempts.map((a) => a.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    expect((await api.get('/api/clients?q=twin')).body.total).toBe(1);
  });

  it('the same email may exist once per agent', async () => {
    const a = await signUp(stack.api);
    const b = await signUp(stack.api);
    expect((await a.api.post('/api/clients', { name: 'Sam', email: 'sam@example.com' })).status).toBe(201);
    expect((await b.api.post('/api/clients', { name: 'Sam', email: 'sam@example.com' })).status).toBe(201);
  });

  it('tenancy: agent B gets 404 on agent A client for GET, PATCH, DELETE and never sees it in lists', async () => {
    const a = await signUp(stack.api);
    const b = await signUp(stack.api);
    const c = await a.api.post('/api/clients', { name: 'Private Person', email: 'private@example.com' });
    const id = c.body.id;
    expect((await b.api.get(`/api/clients/${id}`)).status).toBe(404);
    expect((await b.api.patch(`/api/clients/${id}`, { name: 'Hijack' })).status).toBe(404);
    expect((await b.api.del(`/api/clients/${id}`)).status).toBe(404);
    expect((await b.api.get(`/api/clients/${id}/events`)).status).toBe(404);
    expect((await b.api.get('/api/clients?q=private')).body.total).toBe(0);
    expect((await b.api.get('/api/clients')).body.items.some((x: { id: string }) => x.id === id)).toBe(false);
    // And A's client is untouched.
    expect((await a.api.get(`/api/clients/${id}`)).body.name).toBe('Private Person');
  });

  it('bad input answers 400 problem details with pointers, never 500', async () => {
    const { api } = await signUp(stack.api);
    const cases: [string, () => Promise<{ status: number; body: any; headers: Headers }>, string | null][] = [
      ['invalid email', () => api.post('/api/clients', { name: 'A', email: 'not-an-email' }), '/email'],
      ['unknown stage', () => api.post('/api/clients', { name: 'A', email: 'a@example.com', stage: 'hot' }), '/stage'],
      [
        'agent_id smuggled in',
        () => api.post('/api/clients', { name: 'A', email: 'a@example.com', agent_id: '0190a000-0000-7000-8000-000000000001' }),
        '/agent_id',
      ],
      ['malformed JSON', () => api.post('/api/clients', '{"name": "A",'), null],
      ['oversized body', () => api.post('/api/clients', { name: 'A', email: 'a@example.com', notes: 'x'.repeat(200_000) }), null],
      ['limit > 100', () => api.get('/api/clients?limit=101'), '/querystring/limit'],
      ['unknown sort', () => api.get('/api/clients?sort=password'), '/querystring/sort'],
      ['bad id', () => api.get('/api/clients/not-a-uuid'), '/params/id'],
      ['empty patch', () => api.patch('/api/clients/0190a000-0000-7000-8000-000000000001', {}), null],
    ];
    for (const [what, call, pointer] of cases) {
      const r = await call();
      expect(r.status, what).toBe(400);
      expect(r.headers.get('content-type'), what).toMatch(/application\/problem\+json/);
      expect(r.body, what).toMatchObject({ status: 400, title: expect.any(String), type: expect.any(String) });
      if (pointer)
        expect(
          r.body.errors.map((e: { pointer: string }) => e.pointer),
          what,
        ).toContain(pointer);
    }
    const dup = await api.post('/api/clients', { name: 'A', email: 'dup@example.com' });
    expect(dup.status).toBe(201);
    const again = await api.post('/api/clients', { name: 'B', email: 'DUP@example.com' });
    expect(again.status).toBe(409);
    expect(again.body.errors[0].pointer).toBe('/email');
  });

  it('lists with pagination, filters, search and sort', async () => {
    const { api } = await signUp(stack.api);
    const people = [
      ['Zoe Adams', 'zoe@example.com', 'lead', 'residential', '12 Elm St'],
      ['Yusuf Brown', 'yusuf@example.com', 'qualified', 'commercial', '400 Market St'],
      ['Xena Clark', 'xena@example.com', 'qualified', 'residential', '9 Elm St'],
      ['Will Davis', 'will@example.com', 'closed', 'land', 'Lot 7, Ridge Rd'],
    ] as const;
    for (const [name, email, stage, property_type, property_address] of people)
      expect((await api.post('/api/clients', { name, email, stage, property_type, property_address })).status).toBe(201);
    const page1 = await api.get('/api/clients?limit=3&page=1&sort=name');
    expect(page1.body).toMatchObject({ total: 4, page: 1, limit: 3 });
    expect(page1.body.items.map((c: { name: string }) => c.name)).toEqual(['Will Davis', 'Xena Clark', 'Yusuf Brown']);
    expect((await api.get('/api/clients?limit=3&page=2&sort=name')).body.items.map((c: { name: string }) => c.name)).toEqual(['Zoe Adams']);
    expect((await api.get('/api/clients?sort=-name&limit=1')).body.items[0].name).toBe('Zoe Adams');
    expect(
      (await api.get('/api/clients?stage=qualified&property_type=residential')).body.items.map((c: { name: string }) => c.name),
    ).toEqual(['Xena Clark']);
    expect((await api.get('/api/clients?q=elm%20st')).body.total).toBe(2);
    expect((await api.get('/api/clients?q=YUSUF')).body.items[0].email).toBe('yusuf@example.com');
    expect((await api.get('/api/clients?q=%25')).body.total).toBe(0); // LIKE wildcards are literal
  });

  it('serves OpenAPI at /docs, health, readiness and Prometheus metrics', async () => {
    const anon = apiClient(stack.api);
    expect((await anon.get('/healthz')).status).toBe(200);
    expect((await anon.get('/readyz')).body).toMatchObject({ status: 'ready', checks: { nats: true, postgres: true } });
    const spec = await anon.get('/docs/json');
    expect(spec.status).toBe(200);
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/api/clients', '/api/clients/{id}', '/api/auth/signup']));
    const metrics = await fetch(`${stack.api}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
  });

  it('with crm stopped, writes answer 503 quickly and nothing is half-written; after a restart they work', async () => {
    const { api } = await signUp(stack.api);
    await stack.stop('crm');
    const t0 = Date.now();
    const r = await api.post('/api/clients', { name: 'Offline', email: 'offline@example.com' });
    expect(r.status).toBe(503);
    expect(r.body.detail).toMatch(/crm/);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await api.get('/api/clients')).body.total).toBe(0);
    await stack.start('crm');
    const ok = await waitFor(
      async () => {
        const x = await api.post('/api/clients', { name: 'Offline', email: 'offline@example.com' });
        return x.status === 201 ? x : null;
      },
      { timeoutMs: 15_000, what: 'crm back' },
    );
    expect(ok.body.name).toBe('Offline');
    expect((await api.get('/api/clients')).body.total).toBe(1);
  });
});

describe('live event stream', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'gateway']);
  });
  afterAll(async () => stack?.dispose());

  it('streams only the agent’s own events, after they are projected', async () => {
    const a = await signUp(stack.api);
    const b = await signUp(stack.api);
    const controller = new AbortController();
    const res = await fetch(`${stack.api}/api/events/stream`, {
      headers: { authorization: `Bearer ${a.token}` },
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (pattern: RegExp) =>
      waitFor(
        async () => {
          const { value } = await reader.read();
          text += new TextDecoder().decode(value);
          return pattern.test(text);
        },
        { timeoutMs: 5000, what: `stream to show ${pattern}` },
      );
    await readUntil(/connected/);
    await b.api.post('/api/clients', { name: 'Not Yours', email: 'notyours@example.com' });
    const created = await a.api.post('/api/clients', { name: 'Live One', email: 'live@example.com' });
    await readUntil(/event: ClientCreated/);
    expect(text).toContain(created.body.id);
    expect(text).not.toContain('notyours@example.com');
    expect((await apiClient(stack.api).get('/api/events/stream')).status).toBe(401);
    controller.abort();
  });
});
