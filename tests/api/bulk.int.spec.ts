import { randomUUID } from 'node:crypto';
import { startStack, type Stack } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './http.ts';

type Api = Awaited<ReturnType<typeof signUp>>['api'];
type Result = { id: string; status: 'ok' | 'not_found' | 'error'; detail?: string };

/** POST /api/clients/bulk on the real stack (gateway → crm / scheduler commands → projector → Postgres). */
describe('bulk actions on the real stack', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'scheduler', 'gateway']);
  });
  afterAll(async () => stack?.dispose());

  let made = 0;
  /** `n` clients through the real POST /api/clients, 32 in flight; no plan (no follow-ups to plan). */
  async function clients(api: Api, n: number, extra: (i: number) => Record<string, unknown> = () => ({})): Promise<string[]> {
    const ids: string[] = new Array(n);
    let next = 0;
    const batch = ++made;
    await Promise.all(
      Array.from({ length: Math.min(32, n) }, async () => {
        while (next < n) {
          const i = next++;
          const r = await api.post('/api/clients', { name: `Bulk ${i}`, email: `b${batch}.${i}@example.com`, plan_id: null, ...extra(i) });
          if (r.status !== 201) throw new Error(`create failed: ${r.status} ${JSON.stringify(r.body)}`);
          ids[i] = r.body.id;
        }
      }),
    );
    return ids;
  }
  const bulk = (api: Api, body: unknown, headers?: Record<string, string>) =>
    api.post<{ results: Result[] }>('/api/clients/bulk', body, headers);
  const eventTypes = async (api: Api, id: string) =>
    (await api.get(`/api/clients/${id}/events`)).body.items.map((e: { type: string }) => e.type);

  it('set_stage on 1,000 clients: ok for each, in request order, and the read model shows every new stage right after; another agent’s ids and unknown ids are not_found and untouched', async () => {
    const a = await signUp(stack.api);
    const b = await signUp(stack.api);
    const mine = await clients(a.api, 1000);
    const theirs = await clients(b.api, 3);

    const started = Date.now();
    const r = await bulk(a.api, { ids: mine, action: 'set_stage', value: 'contacted' });
    expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(200);
    expect(r.body.results.map((x) => x.id)).toEqual(mine);
    expect(r.body.results.filter((x) => x.status !== 'ok')).toEqual([]);
    expect(r.headers.get('read-your-writes')).toBeNull();
    console.log(`bulk set_stage of 1,000 clients: ${Date.now() - started} ms`);
    // Read right after: the route waited once for the highest position, so every change shows.
    expect((await a.api.get('/api/clients?stage=contacted&limit=1')).body.total).toBe(1000);
    expect((await a.api.get('/api/clients?stage=lead&limit=1')).body.total).toBe(0);

    // The same again with B's ids and unknown ids mixed in.
    const unknown = randomUUID();
    const mixed = [theirs[0]!, ...mine.slice(0, 5), theirs[1]!, unknown, ...mine.slice(5, 10), theirs[2]!];
    const again = await bulk(a.api, { ids: mixed, action: 'set_stage', value: 'contacted' });
    expect(again.status).toBe(200);
    expect(again.body.results.map((x) => [x.id, x.status])).toEqual(
      mixed.map((id) => [id, theirs.includes(id) || id === unknown ? 'not_found' : 'ok']),
    );
    // Already in that stage: ok, and no second event.
    expect(await eventTypes(a.api, mine[0]!)).toEqual(['ClientCreated', 'ClientStageChanged']);
    // B's clients are unchanged.
    for (const id of theirs) {
      expect((await b.api.get(`/api/clients/${id}`)).body.stage).toBe('lead');
      expect(await eventTypes(b.api, id)).toEqual(['ClientCreated']);
    }
  }, 60_000);

  it('with an Idempotency-Key a retried bulk request does not apply twice; a duplicate id is answered twice, done once', async () => {
    const { api } = await signUp(stack.api);
    const ids = await clients(api, 4);
    const body = { ids: [ids[0], ids[1], ids[0], ids[2]], action: 'set_stage', value: 'qualified' };
    const first = await bulk(api, body, { 'idempotency-key': 'bulk-1' });
    expect(first.status).toBe(200);
    expect(first.body.results.map((x) => x.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    // Move one on by hand, then retry the bulk request: replayed, it moves nothing back.
    expect((await api.patch(`/api/clients/${ids[1]}`, { stage: 'negotiating' })).status).toBe(200);
    const retry = await bulk(api, body, { 'idempotency-key': 'bulk-1' });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect((await api.get(`/api/clients/${ids[1]}`)).body.stage).toBe('negotiating');
    expect(await eventTypes(api, ids[0]!)).toEqual(['ClientCreated', 'ClientStageChanged']);
    expect((await api.get(`/api/clients/${ids[3]}`)).body.stage).toBe('lead');
  });

  it('tag by filter: every match gets the tag (kept as it had it when already tagged, in any case), others untouched; ?tag= finds them', async () => {
    const a = await signUp(stack.api);
    const b = await signUp(stack.api);
    const ids = await clients(a.api, 6, (i) => ({
      stage: i < 4 ? 'negotiating' : 'lead',
      ...(i === 0 ? { tags: ['HOT'] } : i === 1 ? { tags: ['Buyer'] } : {}),
    }));
    const other = await clients(b.api, 1, () => ({ stage: 'negotiating' }));

    const listed = (await a.api.get('/api/clients?stage=negotiating')).body.items.map((c: { id: string }) => c.id);
    expect([...listed].sort()).toEqual(ids.slice(0, 4).sort());
    const r = await bulk(a.api, { filter: { stage: 'negotiating' }, action: 'tag', value: 'hot' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    // One per match, newest first (the list's order).
    expect(r.body.results.map((x) => x.id)).toEqual(listed);
    expect(r.body.results.every((x) => x.status === 'ok')).toBe(true);
    expect(r.body.results.find((x) => x.id === ids[0])?.detail).toBe('already tagged');

    expect((await a.api.get(`/api/clients/${ids[0]}`)).body.tags).toEqual(['HOT']);
    expect((await a.api.get(`/api/clients/${ids[1]}`)).body.tags).toEqual(['Buyer', 'hot']);
    expect((await a.api.get(`/api/clients/${ids[4]}`)).body.tags).toEqual([]);
    const tagged = (await a.api.get('/api/clients?tag=Hot')).body;
    expect(tagged.items.map((c: { id: string }) => c.id).sort()).toEqual(ids.slice(0, 4).sort());
    expect((await b.api.get(`/api/clients/${other[0]}`)).body.tags).toEqual([]);

    // A filter combining stage, q and tag; one matching nobody answers an empty list.
    const narrow = await bulk(a.api, { filter: { tag: 'BUYER', q: 'Bulk 1' }, action: 'tag', value: 'Called' });
    expect(narrow.body.results).toEqual([{ id: ids[1], status: 'ok' }]);
    expect((await a.api.get(`/api/clients/${ids[1]}`)).body.tags).toEqual(['Buyer', 'hot', 'Called']);
    expect((await bulk(a.api, { filter: { tag: 'nobody-has-this' }, action: 'delete' })).body).toEqual({ results: [] });
  });

  it('delete: the agent’s clients are deleted (gone from reads), another agent’s is not_found and stays', async () => {
    const a = await signUp(stack.api);
    const b = await signUp(stack.api);
    const ids = await clients(a.api, 3);
    const [other] = await clients(b.api, 1);
    const r = await bulk(a.api, { ids: [ids[0], other, ids[1]], action: 'delete' });
    expect(r.body.results.map((x) => x.status)).toEqual(['ok', 'not_found', 'ok']);
    expect((await a.api.get(`/api/clients/${ids[0]}`)).status).toBe(404);
    expect((await a.api.get(`/api/clients/${ids[1]}`)).status).toBe(404);
    expect((await a.api.get('/api/clients')).body.total).toBe(1);
    expect((await b.api.get(`/api/clients/${other}`)).status).toBe(200);
    // Deleted ones are not the agent's clients any more.
    expect((await bulk(a.api, { ids: [ids[0]], action: 'delete' })).body.results).toEqual([{ id: ids[0], status: 'not_found' }]);
  });

  it('enroll and end_enrollment show in GET /api/clients/{id} enrollment; ending twice is ok', async () => {
    const a = await signUp(stack.api);
    const b = await signUp(stack.api);
    const plan = await a.api.post('/api/plans', { name: 'Bulk nurture', steps: [{ label: 'Check in', offset_days: 3 }] });
    expect(plan.status, JSON.stringify(plan.body)).toBe(201);
    const ids = await clients(a.api, 3);
    const [other] = await clients(b.api, 1);

    const enrolled = await bulk(a.api, { ids: [ids[0], ids[1], other], action: 'enroll', value: plan.body.id });
    expect(
      enrolled.body.results.map((x) => x.status),
      JSON.stringify(enrolled.body),
    ).toEqual(['ok', 'ok', 'not_found']);
    for (const id of [ids[0], ids[1]])
      expect((await a.api.get(`/api/clients/${id}`)).body.enrollment).toMatchObject({ plan_id: plan.body.id, status: 'active' });
    expect((await a.api.get(`/api/clients/${ids[2]}`)).body.enrollment).toBeNull();
    expect((await b.api.get(`/api/clients/${other}`)).body.enrollment).toBeNull();

    const ended = await bulk(a.api, { ids: [ids[0], ids[1], ids[2]], action: 'end_enrollment' });
    expect(ended.body.results).toEqual([
      { id: ids[0], status: 'ok' },
      { id: ids[1], status: 'ok' },
      { id: ids[2], status: 'ok', detail: 'was not enrolled' },
    ]);
    expect((await a.api.get(`/api/clients/${ids[0]}`)).body.enrollment).toMatchObject({ status: 'ended', ended_reason: 'manual' });
    const twice = await bulk(a.api, { ids: [ids[0]], action: 'end_enrollment' });
    expect(twice.body.results).toEqual([{ id: ids[0], status: 'ok', detail: 'enrolment already ended' }]);

    // Another agent's plan is no plan of mine: the whole request is refused.
    const bPlan = await b.api.post('/api/plans', { name: 'Theirs', steps: [{ label: 'x', offset_days: 1 }] });
    const foreign = await bulk(a.api, { ids: [ids[2]], action: 'enroll', value: bPlan.body.id });
    expect(foreign.status).toBe(400);
    expect((foreign.body as unknown as { errors: { pointer: string }[] }).errors[0]?.pointer).toBe('/value');
  });

  it('bad bodies are a 400 problem with a pointer; no token is a 401', async () => {
    const { api } = await signUp(stack.api);
    const [id] = await clients(api, 1);
    const cases: [string, unknown, string][] = [
      ['ids and filter', { ids: [id], filter: {}, action: 'delete' }, '/filter'],
      ['neither ids nor filter', { action: 'delete' }, '/ids'],
      ['no ids', { ids: [], action: 'delete' }, '/ids'],
      ['1,001 ids', { ids: Array.from({ length: 1001 }, () => randomUUID()), action: 'delete' }, '/ids'],
      ['an id that is no uuid', { ids: ['nope'], action: 'delete' }, '/ids/0'],
      ['an unknown action', { ids: [id], action: 'archive' }, '/action'],
      ['no action', { ids: [id] }, '/action'],
      ['set_stage without a value', { ids: [id], action: 'set_stage' }, '/value'],
      ['set_stage to no stage', { ids: [id], action: 'set_stage', value: 'gone' }, '/value'],
      ['a value for delete', { ids: [id], action: 'delete', value: 'x' }, '/value'],
      ['a value for end_enrollment', { ids: [id], action: 'end_enrollment', value: 'x' }, '/value'],
      ['enroll in no plan', { ids: [id], action: 'enroll', value: randomUUID() }, '/value'],
      ['enroll with no uuid', { ids: [id], action: 'enroll', value: 'plan' }, '/value'],
      ['an empty tag', { ids: [id], action: 'tag', value: '  ' }, '/value'],
      ['a tag too long', { ids: [id], action: 'tag', value: 'x'.repeat(41) }, '/value'],
      ['a tag with a comma', { ids: [id], action: 'tag', value: 'a,b' }, '/value'],
      ['a field nobody knows', { ids: [id], action: 'delete', force: true }, '/force'],
      ['a filter field nobody knows', { filter: { plan: 'x' }, action: 'delete' }, '/filter/plan'],
      ['a bad filter stage', { filter: { stage: 'gone' }, action: 'delete' }, '/filter/stage'],
    ];
    for (const [what, body, pointer] of cases) {
      const r = await bulk(api, body);
      expect(r.status, what).toBe(400);
      expect(r.headers.get('content-type'), what).toMatch(/application\/problem\+json/);
      expect(
        (r.body as unknown as { errors: { pointer: string }[] }).errors.map((e) => e.pointer),
        what,
      ).toContain(pointer);
    }
    // Nothing was done.
    expect((await api.get(`/api/clients/${id}`)).status).toBe(200);
    const anon = await fetch(`${stack.api}/api/clients/bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [id], action: 'delete' }),
    });
    expect(anon.status).toBe(401);
  });
});
