import { type Stack, startStack, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from './http.ts';

/**
 * Issue 13's audit log on the real stack: each audited action is one entry with its action,
 * IP (X-Forwarded-For, trusted from loopback), user agent and target; a failed log-in is an
 * entry for an existing account only; an agent sees only its own entries; entries hold no
 * client data nor secrets.
 */
describe('audit log', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'scheduler', 'gateway']);
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  const UA = 'AuditTest/1.0 (X11; Linux)';
  const as = (ip: string, token?: string) => {
    const api = apiClient(stack.api, token);
    return (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      api.call(method, path, body, { 'x-forwarded-for': ip, 'user-agent': UA, ...headers });
  };
  type Entry = {
    id: string;
    at: string;
    action: string;
    ip: string | null;
    user_agent: string | null;
    target_type: string | null;
    target_id: string | null;
    detail: Record<string, unknown> | null;
  };
  const entries = async (token: string): Promise<Entry[]> => {
    const r = await apiClient(stack.api, token).get('/api/audit?limit=100');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.items;
  };
  /** Waits until the agent's log holds `n` entries (the projector is asynchronous) and returns them, oldest first. */
  const settle = async (token: string, n: number) => {
    await waitFor(async () => (await entries(token)).length >= n, { what: `${n} audit entries`, timeoutMs: 15_000, intervalMs: 100 });
    return (await entries(token)).reverse();
  };
  let n = 0;
  const newEmail = () => `audit${Date.now().toString(36)}${++n}@example.com`;

  it('each audited action is exactly one entry with its action, ip, user agent and target; no client data nor secret', async () => {
    const email = newEmail();
    const password = 'correct-horse-1';
    const signup = await as('203.0.113.1')('POST', '/api/auth/signup', { email, password, name: 'Agent Audit' });
    expect(signup.status).toBe(201);
    const token = signup.body.token as string;
    const call = as('203.0.113.2', token);

    expect((await as('203.0.113.3')('POST', '/api/auth/login', { email, password: 'wrong-password-1' })).status).toBe(401);
    const login = await as('203.0.113.4')('POST', '/api/auth/login', { email, password });
    expect(login.status).toBe(200);
    // A client whose name and email must never reach the log.
    expect((await call('POST', '/api/clients', { name: 'Zelda Secretname', email: 'zelda.secret@example.com' })).status).toBe(201);
    expect((await call('GET', '/api/clients/export.csv?stage=lead&q=Zelda')).status).toBe(200);
    expect((await call('GET', '/api/emails/export.csv')).status).toBe(200);
    const imported = await call('POST', '/api/imports', 'Name,Email\r\nYann Hidden,yann.hidden@example.com\r\n', {
      'content-type': 'text/csv',
    });
    expect(imported.status, JSON.stringify(imported.body)).toBe(202);
    expect((await call('PATCH', '/api/settings', { daily_cap: 7, signature: 'Best, A' })).status).toBe(200);
    expect((await call('PATCH', '/api/auth/me', { name: 'Agent Renamed' })).status).toBe(200);
    const plan = await call('POST', '/api/plans', { name: 'Audit plan', steps: [{ label: 'Day 1', offset_days: 1 }] });
    expect(plan.status, JSON.stringify(plan.body)).toBe(201);
    const planId = plan.body.id as string;
    const changed = await call('PATCH', `/api/plans/${planId}`, { name: 'Audit plan 2' });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect((await call('DELETE', `/api/plans/${planId}`)).status).toBe(204);
    expect((await call('POST', '/api/auth/password', { current_password: 'not-it-at-all', new_password: 'new-horse-2' })).status).toBe(403);
    expect((await call('POST', '/api/auth/password', { current_password: password, new_password: 'new-horse-2' })).status).toBe(200);
    expect((await call('POST', '/api/auth/logout')).status).toBe(204);

    const fresh = (await as('203.0.113.5')('POST', '/api/auth/login', { email, password: 'new-horse-2' })).body.token as string;
    const log = await settle(fresh, 15);
    expect(log.map((e) => e.action)).toEqual([
      'auth.signed_up',
      'auth.login_failed',
      'auth.logged_in',
      'export.clients',
      'export.emails',
      'import.started',
      'settings.changed',
      'agent.renamed',
      'plan.created',
      'plan.changed',
      'plan.deleted',
      'auth.password_change_failed',
      'auth.password_changed',
      'auth.logged_out',
      'auth.logged_in',
    ]);
    const by = (action: string) => log.filter((e) => e.action === action);
    for (const a of ['auth.signed_up', 'auth.login_failed', 'export.clients', 'settings.changed', 'plan.deleted'])
      expect(by(a)).toHaveLength(1);
    expect(by('auth.signed_up')[0]).toMatchObject({ ip: '203.0.113.1', user_agent: UA });
    expect(by('auth.login_failed')[0]).toMatchObject({ ip: '203.0.113.3', user_agent: UA });
    expect(by('export.clients')[0]).toMatchObject({ ip: '203.0.113.2', detail: { filters: ['q', 'stage'] } });
    expect(by('settings.changed')[0]?.detail).toEqual({ keys: ['daily_cap', 'signature'] });
    expect(by('import.started')[0]).toMatchObject({ target_type: 'import', target_id: imported.body.id, detail: { rows: 1 } });
    for (const a of ['plan.created', 'plan.changed', 'plan.deleted'])
      expect(by(a)[0]).toMatchObject({ target_type: 'plan', target_id: planId });

    const json = JSON.stringify(log);
    for (const secret of [
      'Zelda',
      'zelda.secret',
      'Yann',
      'yann.hidden',
      'Agent Renamed',
      'Best, A',
      password,
      'new-horse-2',
      'not-it-at-all',
      email,
    ])
      expect(json).not.toContain(secret);
    expect(json).not.toContain(signup.body.refresh_token);
  });

  it('a failed log-in for an unknown email records nothing; agent B never sees agent A’s entries', async () => {
    const a = await as('203.0.113.10')('POST', '/api/auth/signup', { email: newEmail(), password: 'correct-horse-1', name: 'A' });
    const b = await as('203.0.113.11')('POST', '/api/auth/signup', { email: newEmail(), password: 'correct-horse-1', name: 'B' });
    expect((await as('203.0.113.12')('POST', '/api/auth/login', { email: newEmail(), password: 'whatever-1' })).status).toBe(401);
    await as('203.0.113.10', a.body.token)('PATCH', '/api/settings', { daily_cap: 9 });
    const aLog = await settle(a.body.token, 2);
    const bLog = await settle(b.body.token, 1);
    expect(aLog.map((e) => e.action)).toEqual(['auth.signed_up', 'settings.changed']);
    expect(bLog.map((e) => e.action)).toEqual(['auth.signed_up']);
    expect(bLog.map((e) => e.id)).not.toContain(aLog[1]?.id);
    expect(JSON.stringify(bLog)).not.toContain('203.0.113.12');
  });

  it('a locked-out log-in is its own entry (auth.login_locked) after the 5 failed ones', async () => {
    const email = newEmail();
    const a = await as('203.0.113.30')('POST', '/api/auth/signup', { email, password: 'correct-horse-1', name: 'A' });
    for (let i = 1; i <= 5; i++)
      expect((await as(`203.0.113.${30 + i}`)('POST', '/api/auth/login', { email, password: `wrong-${i}-x` })).status).toBe(401);
    expect((await as('203.0.113.36')('POST', '/api/auth/login', { email, password: 'correct-horse-1' })).status).toBe(429);
    const log = await settle(a.body.token, 7);
    expect(log.map((e) => e.action)).toEqual(['auth.signed_up', ...Array(5).fill('auth.login_failed'), 'auth.login_locked']);
    expect(log[6]).toMatchObject({ ip: '203.0.113.36', user_agent: UA });
  });

  it('the log is read only: no PATCH nor DELETE; hostile paging is 400', async () => {
    const a = await as('203.0.113.20')('POST', '/api/auth/signup', { email: newEmail(), password: 'correct-horse-1', name: 'A' });
    const call = as('203.0.113.20', a.body.token);
    expect((await call('DELETE', '/api/audit')).status).toBe(404);
    expect((await call('PATCH', '/api/audit', {})).status).toBe(404);
    for (const q of ['page=0', 'limit=1000', 'page=abc', 'x=1']) expect((await call('GET', `/api/audit?${q}`)).status, q).toBe(400);
    expect((await apiClient(stack.api).get('/api/audit')).status).toBe(401);
  });
});
