import { describe, expect, it } from 'vitest';
import { authenticate, failedAttemptsNotice, tooManyAttempts } from './auth.ts';
import { retryAfterSeconds } from './gateway.ts';

const AGENT = { id: 'a1', email: 'sam@example.com', name: 'Sam', created_at: '2026-01-01T00:00:00.000Z' };
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A gateway that answers from a table, recording what it was asked. */
function fakeGateway(answers: Record<string, () => Response | Promise<Response>>) {
  const calls: { method: string; path: string; headers: Record<string, string>; body: unknown }[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const path = new URL(String(input)).pathname;
    const method = init?.method ?? 'GET';
    calls.push({
      method,
      path,
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    const answer = answers[`${method} ${path}`];
    if (!answer) throw new Error(`unexpected ${method} ${path}`);
    return answer();
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

describe('authenticate (the gateway says who a request is)', () => {
  it('no cookies: signed out, the gateway is not asked', async () => {
    const gw = fakeGateway({});
    expect(await authenticate({}, { fetch: gw.fetch })).toEqual({ state: 'signed-out' });
    expect(gw.calls).toEqual([]);
  });

  it('a live session: GET /api/auth/me with the token → signed in, nothing renewed', async () => {
    const gw = fakeGateway({ 'GET /api/auth/me': () => json(200, AGENT) });
    const auth = await authenticate({ token: 't1', refresh: 'r1' }, { fetch: gw.fetch });
    expect(auth).toEqual({ state: 'signed-in', agent: { id: 'a1', email: 'sam@example.com', name: 'Sam' }, token: 't1', renewed: null });
    expect(gw.calls.map((c) => [c.method, c.path, c.headers.authorization])).toEqual([['GET', '/api/auth/me', 'Bearer t1']]);
  });

  it('an expired token (401) with a refresh cookie → POST /api/auth/refresh, from the browser’s address → renewed', async () => {
    const gw = fakeGateway({
      'GET /api/auth/me': () => json(401, { title: 'Unauthorized', status: 401 }),
      'POST /api/auth/refresh': () => json(200, { agent: AGENT, token: 't2', refresh_token: 'r1', expires_in: 900 }),
    });
    const auth = await authenticate({ token: 't1', refresh: 'r1' }, { fetch: gw.fetch, clientIp: '203.0.113.9' });
    expect(auth).toMatchObject({ state: 'signed-in', token: 't2', renewed: { token: 't2', refresh_token: 'r1', expires_in: 900 } });
    expect(gw.calls[1]).toMatchObject({ body: { refresh_token: 'r1' }, headers: { 'x-forwarded-for': '203.0.113.9' } });
  });

  it('only a refresh cookie (the access cookie expired in the browser) → straight to refresh', async () => {
    const gw = fakeGateway({ 'POST /api/auth/refresh': () => json(200, { agent: AGENT, token: 't3', expires_in: 900 }) });
    const auth = await authenticate({ refresh: 'r1' }, { fetch: gw.fetch });
    // No new refresh token in the answer: the one in the cookie stays.
    expect(auth).toMatchObject({ state: 'signed-in', token: 't3', renewed: { refresh_token: 'r1' } });
    expect(gw.calls.map((c) => c.path)).toEqual(['/api/auth/refresh']);
  });

  it('an ended session (401, then refresh 401) or no refresh cookie → signed out', async () => {
    const ended = fakeGateway({
      'GET /api/auth/me': () => json(401, { title: 'Unauthorized', status: 401 }),
      'POST /api/auth/refresh': () => json(401, { title: 'Unauthorized', status: 401 }),
    });
    expect(await authenticate({ token: 't1', refresh: 'r1' }, { fetch: ended.fetch })).toEqual({ state: 'signed-out' });
    expect(await authenticate({ token: 't1' }, { fetch: ended.fetch })).toEqual({ state: 'signed-out' });
  });

  it('a gateway that is down, failing or busy is "unavailable", never a log-out', async () => {
    const down = fakeGateway({
      'GET /api/auth/me': () => {
        throw new TypeError('fetch failed');
      },
    });
    expect(await authenticate({ token: 't1', refresh: 'r1' }, { fetch: down.fetch })).toMatchObject({ state: 'unavailable', status: 503 });
    const failing = fakeGateway({
      'GET /api/auth/me': () => json(503, { title: 'Service Unavailable', status: 503 }, { 'retry-after': '5' }),
    });
    expect(await authenticate({ token: 't1' }, { fetch: failing.fetch })).toMatchObject({
      state: 'unavailable',
      status: 503,
      retryAfter: 5,
    });
    const busy = fakeGateway({
      'GET /api/auth/me': () => json(401, { title: 'Unauthorized', status: 401 }),
      'POST /api/auth/refresh': () => json(429, { title: 'Too many requests', status: 429 }, { 'retry-after': '30' }),
    });
    expect(await authenticate({ token: 't1', refresh: 'r1' }, { fetch: busy.fetch })).toMatchObject({
      state: 'unavailable',
      status: 429,
      retryAfter: 30,
    });
  });
});

describe('tooManyAttempts', () => {
  const problem = (detail?: string) => ({ title: 'Too many requests', status: 429, detail });
  it('says the wait from Retry-After, else from the detail', () => {
    expect(tooManyAttempts({ problem: problem(), retryAfter: 15 })).toBe('Too many attempts — try again in 15 seconds.');
    expect(tooManyAttempts({ problem: problem(), retryAfter: 1 })).toBe('Too many attempts — try again in 1 second.');
    expect(tooManyAttempts({ problem: problem('it is locked for 30 s. Try again after that.') })).toBe(
      'Too many attempts — try again in 30 seconds.',
    );
    expect(tooManyAttempts({ problem: problem('Try again in 1 minute') })).toBe('Too many attempts — try again in 60 seconds.');
    expect(tooManyAttempts({ problem: problem('Slow down') })).toBe('Too many attempts — try again in a moment.');
  });
});

describe('failedAttemptsNotice', () => {
  it('only after wrong passwords, counted in words', () => {
    expect(failedAttemptsNotice(undefined)).toBeNull();
    expect(failedAttemptsNotice(0)).toBeNull();
    expect(failedAttemptsNotice(1)).toMatch(/^1 failed sign-in attempt since your last visit\./);
    expect(failedAttemptsNotice(3)).toMatch(/^3 failed sign-in attempts since your last visit\./);
  });
});

describe('retryAfterSeconds', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(retryAfterSeconds(null)).toBeUndefined();
    expect(retryAfterSeconds('15')).toBe(15);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterSeconds('Thu, 01 Jan 2026 00:00:20 GMT', now)).toBe(20);
    expect(retryAfterSeconds('soon')).toBeUndefined();
  });
});
