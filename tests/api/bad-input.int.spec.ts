import { type Stack, startStack } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './http.ts';
import { isProblem, type RawResponse, rawRequest } from './raw-http.ts';

/**
 * Each input that used to answer 5xx (issue 12), sent to the real gateway over a real socket
 * (so Node's HTTP parser and Fastify's router see it as a client would send it): a clear 4xx
 * in problem details, and the API keeps working afterwards.
 */
describe('bad input never answers 5xx', () => {
  let stack: Stack;
  let token: string;
  const send = (method: string, path: string, opts: Parameters<typeof rawRequest>[3] = {}) =>
    rawRequest(stack.api, method, path, { ...opts, headers: { authorization: `Bearer ${token}`, ...opts.headers } });
  const expectProblem = (r: RawResponse, status: number, what: string) => {
    expect(r.status, `${what}: ${r.text.slice(0, 300)}`).toBe(status);
    expect(isProblem(r), `${what} is problem details: ${String(r.headers['content-type'])} ${r.text.slice(0, 300)}`).toBe(true);
  };

  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'scheduler', 'gateway']);
    token = (await signUp(stack.api)).token;
  });
  afterAll(async () => stack?.dispose());

  it('a NUL in the search → 400 pointing at q', async () => {
    const r = await send('GET', '/api/clients?q=%00');
    expectProblem(r, 400, 'q=%00');
    expect(r.body.errors).toContainEqual({ pointer: '/querystring/q', detail: expect.stringMatching(/NUL/) });
    // Invalid UTF-8 in a query is decoded to U+FFFD (storable): an ordinary search.
    expect((await send('GET', '/api/clients?q=%ED%A0%80')).status).toBe(200);
  });

  it('second 60, Feb 30 and hour 24 are not instants → 400 pointing at the field', async () => {
    for (const bad of ['2026-06-30T23:59:60Z', '2026-02-30T10:00:00Z', '2026-06-30T24:00:00Z', '2026-13-01T00:00:00Z']) {
      const r = await send('GET', `/api/tasks?due_before=${encodeURIComponent(bad)}`);
      expectProblem(r, 400, bad);
      expect(r.body.errors.map((e: { pointer: string }) => e.pointer)).toContain('/querystring/due_before');
    }
    const ok = await send('GET', `/api/tasks?due_before=${encodeURIComponent('2026-06-30T23:59:59Z')}`);
    expect(ok.status).toBe(200);
  });

  it('a malformed token cookie is no token: 401 on the API, 200 on /healthz', async () => {
    for (const cookie of ['token=%', 'token=%E0%A4%A', 'a=%; token=%zz', `token=${'%'.repeat(2000)}`]) {
      const health = await rawRequest(stack.api, 'GET', '/healthz', { headers: { cookie } });
      expect(health.status, cookie).toBe(200);
      expectProblem(await rawRequest(stack.api, 'GET', '/api/clients', { headers: { cookie } }), 401, cookie);
      expectProblem(
        await rawRequest(stack.api, 'POST', '/api/auth/login', { headers: { cookie, 'content-type': 'application/json' }, body: '{}' }),
        400,
        cookie,
      );
    }
  });

  it('ids of 3,000 characters, a bad percent-encoding in the path, an unknown route or method → problem details', async () => {
    expectProblem(await send('GET', `/api/clients/${'a'.repeat(3000)}`), 414, '3,000-character id');
    expectProblem(
      await send('PATCH', `/api/clients/${'0'.repeat(3000)}`, { headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' }),
      414,
      'long id on PATCH',
    );
    expectProblem(await send('GET', '/api/clients/%'), 400, 'lone %');
    expectProblem(await send('GET', '/api/clients/%E0%A4%A'), 400, 'truncated UTF-8');
    expectProblem(await send('GET', '/api/clients/%00'), 400, 'NUL id');
    expectProblem(await send('GET', '/api/nothing-here'), 404, 'unknown route');
    expectProblem(await send('PUT', '/api/clients'), 404, 'no PUT');
  });

  it('a keyed write whose body nests 30,000 deep (DELETE has no body schema) → 400 problem details, nothing deleted', async () => {
    const created = await send('POST', '/api/clients', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Deep Nest', email: `deep${Date.now()}@example.com` }),
    });
    expect(created.status, created.text).toBe(201);
    const r = await send('DELETE', `/api/clients/${created.body.id}`, {
      headers: { 'content-type': 'application/json', 'idempotency-key': 'deep-body' },
      body: `${'['.repeat(30_000)}${']'.repeat(30_000)}`,
    });
    expectProblem(r, 400, 'deep body on DELETE');
    expect((await send('GET', `/api/clients/${created.body.id}`)).status).toBe(200);
  });

  it('Idempotency-Key sent twice (Node would join it into one "k1, k2" key) → 400 problem details, nothing written', async () => {
    const email = `twice${Date.now()}@example.com`;
    const r = await send('POST', '/api/clients', {
      headers: { 'content-type': 'application/json', 'idempotency-key': ['k1', 'k2'] as unknown as string },
      body: JSON.stringify({ name: 'Key Twice', email }),
    });
    expectProblem(r, 400, 'two Idempotency-Key lines');
    expect(r.body.errors).toContainEqual({ pointer: '/headers/idempotency-key', detail: expect.any(String) });
    expect((await send('GET', `/api/clients?q=${encodeURIComponent(email)}`)).body.total).toBe(0);
  });

  it('headers or a URL over Node’s limit → 431 problem details, and the server keeps serving', async () => {
    expectProblem(await send('GET', '/api/clients', { headers: { 'x-filler': 'x'.repeat(40_000) } }), 431, 'huge header');
    expectProblem(await send('GET', `/api/clients?q=${'x'.repeat(40_000)}`), 431, 'huge URL');
    expect((await send('GET', '/api/clients')).status).toBe(200);
  });

  it('x-request-id is kept only when it is a short safe token; anything else is replaced', async () => {
    const ok = await send('GET', '/healthz', { headers: { 'x-request-id': 'abc-123.def:9_Z' } });
    expect(ok.headers['x-request-id']).toBe('abc-123.def:9_Z');
    for (const bad of ['a\tb', '<script>alert(1)</script>', 'x'.repeat(129), 'spaces are not ok', 'é']) {
      const r = await send('GET', '/healthz', { headers: { 'x-request-id': bad } });
      expect(r.status).toBe(200);
      expect(r.headers['x-request-id'], bad).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });

  it('a NUL or a lone surrogate in a custom field key or value → 400; an emoji key is fine', async () => {
    const post = (custom_fields: unknown) =>
      send('POST', '/api/clients', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Cu Stom', email: `c${Date.now()}${Math.random()}@example.com`, custom_fields }),
      });
    const badKey = await post({ 'bad\u0000key': 1 });
    expectProblem(badKey, 400, 'NUL key');
    expect(badKey.body.errors.map((e: { pointer: string }) => e.pointer)).toContain('/custom_fields/bad\u0000key');
    expectProblem(await post({ 'lone\uD800': 1 }), 400, 'lone surrogate key');
    expectProblem(await post({ '': 1 }), 400, 'empty key');
    expectProblem(await post({ ['k'.repeat(65)]: 1 }), 400, '65-character key');
    const badValue = await post({ budget: 'a\u0000b' });
    expectProblem(badValue, 400, 'NUL value');
    expect(badValue.body.errors.map((e: { pointer: string }) => e.pointer)).toContain('/custom_fields/budget');
    const fine = await post({ '🏠 style': 'ranch 🌵', budget: 650000 });
    expect(fine.status, fine.text).toBe(201);
    expect(fine.body.custom_fields).toEqual({ '🏠 style': 'ranch 🌵', budget: 650000 });
  });
});
