import { type Stack, startStack } from '@realtoros/testing';
import { isRedirect } from '@sveltejs/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, signUp } from './http.ts';

/**
 * The web app's "delete client" form action against the real gateway, crm, projector and
 * Postgres: the flash message tells the truth — "deleted" only when the gateway deleted it,
 * "not found, nothing changed" when the gateway said 404 (another agent's client, or one
 * already gone).
 */
describe('web form actions against the real gateway', () => {
  let stack: Stack;
  let actions: Record<string, (event: unknown) => Promise<unknown>>;

  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'gateway']);
    // The web app's configuration is read once, from the environment, on first use. No
    // JWT_SECRET: the web app asks the gateway about sessions instead of verifying tokens.
    Object.assign(process.env, { GATEWAY_URL: stack.api, DATABASE_URL: stack.env.DATABASE_URL });
    // A computed specifier: the route module is typechecked by the web app's own tsconfig
    // (SvelteKit's generated $types), not by the root one that checks this test.
    const route = '../../web/src/routes/(app)/clients/[id]/+page.server.ts';
    ({ actions } = (await import(route)) as never);
  });
  afterAll(async () => {
    const webDb = '../../web/src/lib/server/db.ts';
    await ((await import(webDb)) as { closeDb(): Promise<void> }).closeDb();
    await stack?.dispose();
  });

  /** What a SvelteKit action sees of a signed-in agent; cookies keep what the action sets. */
  function event(me: { agent: { id: string; email: string }; token: string }, id: string) {
    const jar = new Map<string, string>();
    return {
      jar,
      event: {
        locals: { agent: { id: me.agent.id, email: me.agent.email, name: 'Agent' }, token: me.token },
        params: { id },
        cookies: { set: (k: string, v: string) => jar.set(k, v), get: (k: string) => jar.get(k), delete: (k: string) => jar.delete(k) },
      },
    };
  }
  async function runDelete(me: Parameters<typeof event>[0], id: string) {
    const { jar, event: e } = event(me, id);
    try {
      return { result: await actions.delete!(e), jar, redirect: null };
    } catch (thrown) {
      if (isRedirect(thrown)) return { result: null, jar, redirect: thrown.location };
      throw thrown;
    }
  }

  it('deleted → "was deleted"; again → "not found, nothing changed"; another agent’s → "not found" and it stays', async () => {
    const a = await signUp(stack.api);
    const b = await signUp(stack.api);
    const created = await a.api.post('/api/clients', { name: 'Maya Chen', email: 'maya@example.com' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    const byOther = await runDelete(b, id);
    expect(byOther.redirect).toBe('/clients');
    expect([...byOther.jar.values()].join()).toMatch(/not found.*Nothing was changed/);
    expect((await a.api.get(`/api/clients/${id}`)).status).toBe(200);

    const first = await runDelete(a, id);
    expect(first.redirect).toBe('/clients');
    expect([...first.jar.values()].join()).toBe('Maya Chen was deleted and their pending follow-ups cancelled.');
    expect((await a.api.get(`/api/clients/${id}`)).status).toBe(404);

    const again = await runDelete(a, id);
    expect(again.redirect).toBe('/clients');
    expect([...again.jar.values()].join()).toMatch(/not found.*Nothing was changed/);
    expect([...again.jar.values()].join()).not.toMatch(/was deleted/);
  });

  it('log-in: redirectTo that a browser would read as another site lands on / (no 500, no open redirect); a path on this site is kept', async () => {
    const me = await signUp(stack.api);
    const loginRoute = '../../web/src/routes/(auth)/login/+page.server.ts';
    const login = ((await import(loginRoute)) as { actions: Record<string, (event: unknown) => Promise<unknown>> }).actions;
    const cases: [string, string][] = [
      ['%2F%09%2Fevil.example', '/'],
      ['%2F%0A%2Fevil.example', '/'],
      ['%2F%2Fevil.example', '/'],
      ['%2F%5Cevil.example', '/'],
      ['https%3A%2F%2Fevil.example', '/'],
      ['%2Fclients%3Fstage%3Dlead', '/clients?stage=lead'],
    ];
    for (const [redirectTo, expected] of cases) {
      const url = new URL(`http://localhost/login?redirectTo=${redirectTo}`);
      const request = new Request(url, { method: 'POST', body: new URLSearchParams({ email: me.email, password: 'correct-horse-1' }) });
      const jar = new Map<string, string>();
      const cookies = {
        set: (k: string, v: string) => jar.set(k, v),
        get: (k: string) => jar.get(k),
        delete: (k: string) => jar.delete(k),
      };
      let location: string | null = null;
      try {
        await login.default!({ request, cookies, url, getClientAddress: () => '203.0.113.7' });
      } catch (thrown) {
        if (!isRedirect(thrown)) throw thrown;
        location = thrown.location;
      }
      expect(location, redirectTo).toBe(expected);
      expect([...jar.keys()], redirectTo).toContain('realtoros_session');
      expect([...jar.keys()], redirectTo).toContain('realtoros_refresh');
    }
  });

  /** Runs one action of a route module with a form body; what it returned or where it redirected. */
  async function runAction(
    route: string,
    name: string,
    e: { token: string; agent: { id: string; email: string } },
    form: Record<string, string>,
  ) {
    const mod = (await import(route)) as { actions: Record<string, (event: unknown) => Promise<unknown>> };
    const url = new URL('http://localhost/settings');
    const jar = new Map<string, string>();
    const event = {
      request: new Request(url, { method: 'POST', body: new URLSearchParams(form) }),
      url,
      locals: { agent: { id: e.agent.id, email: e.agent.email, name: 'Agent' }, token: e.token },
      cookies: { set: (k: string, v: string) => jar.set(k, v), get: (k: string) => jar.get(k), delete: (k: string) => jar.set(k, '') },
      getClientAddress: () => '203.0.113.8',
    };
    try {
      const result = (await mod.actions[name]!(event)) as { status?: number; data?: Record<string, unknown> } & Record<string, unknown>;
      return { result, jar, redirect: null as string | null };
    } catch (thrown) {
      if (isRedirect(thrown)) return { result: null, jar, redirect: thrown.location };
      throw thrown;
    }
  }
  const SETTINGS = '../../web/src/routes/(app)/settings/+page.server.ts';
  const LOGOUT = '../../web/src/routes/logout/+page.server.ts';

  it('change password: checked in the action (confirmation), 403 → the current-password field, done → every other session ends, this one stays', async () => {
    const me = await signUp(stack.api);
    const other = await apiClient(stack.api).post('/api/auth/login', { email: me.email, password: 'correct-horse-1' });
    expect(other.status).toBe(200);

    const mismatch = await runAction(SETTINGS, 'password', me, {
      current_password: 'correct-horse-1',
      new_password: 'battery-staple-2',
      confirm_password: 'battery-staple-3',
    });
    expect(mismatch.result).toMatchObject({
      status: 400,
      data: { form: 'password', errors: { confirm_password: expect.stringMatching(/match/) } },
    });

    const wrong = await runAction(SETTINGS, 'password', me, {
      current_password: 'not-my-password',
      new_password: 'battery-staple-2',
      confirm_password: 'battery-staple-2',
    });
    expect(wrong.result).toMatchObject({ status: 403, data: { form: 'password', errors: { current_password: expect.any(String) } } });
    expect(JSON.stringify(wrong.result)).not.toContain('not-my-password'); // passwords never go back to the page

    const done = await runAction(SETTINGS, 'password', me, {
      current_password: 'correct-horse-1',
      new_password: 'battery-staple-2',
      confirm_password: 'battery-staple-2',
    });
    expect(done.result).toEqual({ form: 'password', ok: true, message: 'Password changed. Other devices were signed out.' });
    expect((await apiClient(stack.api, other.body.token).get('/api/auth/me')).status).toBe(401);
    expect((await apiClient(stack.api).post('/api/auth/refresh', { refresh_token: other.body.refresh_token })).status).toBe(401);
    expect((await me.api.get('/api/auth/me')).status).toBe(200);
    expect((await apiClient(stack.api).post('/api/auth/login', { email: me.email, password: 'battery-staple-2' })).status).toBe(200);
  });

  it('log out: the session ends at the gateway (token 401) and both cookies are cleared', async () => {
    const me = await signUp(stack.api);
    const out = await runAction(LOGOUT, 'default', me, {});
    expect(out.redirect).toBe('/login');
    expect(out.jar.get('realtoros_session')).toBe('');
    expect(out.jar.get('realtoros_refresh')).toBe('');
    expect((await me.api.get('/api/auth/me')).status).toBe(401);
  });
});
