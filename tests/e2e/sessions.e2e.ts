import { type Stack, startStack } from '@realtoros/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, signUp as apiSignUp } from '../api/http.ts';
import { browserHelpers, DESKTOP, launchChromium } from './browser.ts';
import { startWebApp, type WebApp } from './web-app.ts';

const SESSION = 'realtoros_session';
const REFRESH = 'realtoros_refresh';

/**
 * Issue 13 in the web app, in a real browser against the real stack: the web app asks the
 * gateway about the session on every request, so a log-out or a password change elsewhere
 * ends a copied cookie at once; the refresh cookie renews the access token; wrong passwords
 * are reported at the next log-in; a gateway outage is a 503 page, not a log-out. The web
 * app runs without JWT_SECRET: it verifies nothing itself.
 */
describe('sessions in the browser', () => {
  let stack: Stack;
  let web: WebApp;
  let browser: Browser;
  const { problems, newPage, go, signUp } = browserHelpers(() => web.url);
  // 400: a confirmation that doesn't match; 401/403: wrong passwords; 429: the lock-out; 503: the gateway stopped on purpose.
  const EXPECTED = [400, 401, 403, 429, 503];
  let n = 0;
  const newEmail = () => `session-${Date.now().toString(36)}-${++n}@example.com`;

  beforeAll(async () => {
    browser = await launchChromium();
    stack = await startStack(['projector', 'crm', 'gateway']);
    web = await startWebApp({ DATABASE_URL: stack.env.DATABASE_URL!, GATEWAY_URL: stack.api });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.dispose();
  });

  const cookie = async (ctx: BrowserContext, name: string) => (await ctx.cookies()).find((c) => c.name === name);
  /** A second browser holding copies of the given cookies (a stolen or synced cookie jar). */
  async function withCookies(cookies: { name: string; value: string }[]): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await browser.newContext({ viewport: DESKTOP });
    await ctx.addCookies(cookies.map((c) => ({ name: c.name, value: c.value, url: web.url, httpOnly: true, sameSite: 'Lax' as const })));
    return { ctx, page: await newPage(ctx, EXPECTED) };
  }
  async function logIn(page: Page, email: string, password: string): Promise<void> {
    await go(page, '/login');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
  }
  const onLogin = (page: Page) => page.url().startsWith(`${web.url}/login`);

  it('log out ends the session: the same cookie then opens no page (→ /login) and its token is 401 at the gateway; the refresh cookie renews a missing access cookie', async () => {
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const page = await newPage(ctx, EXPECTED);
    await signUp(page, 'Lou Logout', newEmail());
    const access = (await cookie(ctx, SESSION))!;
    const refresh = (await cookie(ctx, REFRESH))!;
    expect(access).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false }); // http here; Secure under https
    expect(refresh).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false });
    expect((await apiClient(stack.api, access.value).get('/api/auth/me')).status).toBe(200);

    // Only the refresh cookie (the access cookie expired in the browser): the page opens, a new access cookie is set.
    const renewed = await withCookies([refresh]);
    await go(renewed.page, '/clients');
    expect(renewed.page.url()).toBe(`${web.url}/clients`);
    expect((await cookie(renewed.ctx, SESSION))?.value).toBeTruthy();
    // A token that no longer verifies (garbage) with a good refresh cookie: renewed too.
    const garbled = await withCookies([{ name: SESSION, value: 'not-a-token' }, refresh]);
    await go(garbled.page, '/');
    expect(garbled.page.url()).toBe(`${web.url}/`);
    expect((await cookie(garbled.ctx, SESSION))?.value).not.toBe('not-a-token');

    // Log out in the web app.
    await page.locator('form[action="/logout"] button:visible').first().click();
    await page.waitForURL(`${web.url}/login`);
    expect(await cookie(ctx, SESSION)).toBeUndefined();
    expect(await cookie(ctx, REFRESH)).toBeUndefined();

    // The same cookies, replayed from another browser: sent to log in, and cleared there too.
    const copy = await withCookies([access, refresh]);
    await go(copy.page, '/clients');
    expect(copy.page.url()).toBe(`${web.url}/login?redirectTo=${encodeURIComponent('/clients')}`);
    expect(await cookie(copy.ctx, SESSION)).toBeUndefined();
    // The browser that renewed from the same session is out as well.
    await go(renewed.page, '/');
    expect(onLogin(renewed.page)).toBe(true);
    // And at the gateway: the token and the refresh token are dead.
    expect((await apiClient(stack.api, access.value).get('/api/auth/me')).status).toBe(401);
    expect((await apiClient(stack.api).post('/api/auth/refresh', { refresh_token: refresh.value })).status).toBe(401);
    // The live stream of a dead session answers 401 (the EventSource backs off), not a stream.
    const live = await fetch(`${web.url}/live`, { headers: { cookie: `${SESSION}=${access.value}`, accept: 'text/event-stream' } });
    expect(live.status).toBe(401);
    await live.body?.cancel();
    for (const c of [ctx, renewed.ctx, garbled.ctx, copy.ctx]) await c.close();
    expect(problems).toEqual([]);
  }, 120_000);

  it('a password change in the web app signs out every other session at once; this one stays', async () => {
    const email = newEmail();
    const ctxA = await browser.newContext({ viewport: DESKTOP });
    const a = await newPage(ctxA, EXPECTED);
    await signUp(a, 'Pat Password', email);
    const ctxB = await browser.newContext({ viewport: DESKTOP });
    const b = await newPage(ctxB, EXPECTED);
    await logIn(b, email, 'correct-horse-1');
    await b.waitForURL(`${web.url}/`);
    const bToken = (await cookie(ctxB, SESSION))!.value;

    await go(a, '/settings');
    // A wrong current password: said on its field (the gateway's 403).
    await a.getByTestId('current-password').fill('not-my-password');
    await a.getByTestId('new-password').fill('battery-staple-2');
    await a.getByTestId('confirm-password').fill('battery-staple-2');
    await a.getByTestId('change-password').click();
    await expect.poll(() => a.getByTestId('error-current-password').textContent()).toContain('current password');
    expect(await a.getByTestId('current-password').getAttribute('aria-invalid')).toBe('true');
    // The confirmation must match (checked by the page's action).
    await a.getByTestId('current-password').fill('correct-horse-1');
    await a.getByTestId('new-password').fill('battery-staple-2');
    await a.getByTestId('confirm-password').fill('battery-staple-3');
    await a.getByTestId('change-password').click();
    await expect.poll(() => a.getByTestId('error-confirm-password').textContent()).toContain('match');
    // Done.
    await a.getByTestId('current-password').fill('correct-horse-1');
    await a.getByTestId('new-password').fill('battery-staple-2');
    await a.getByTestId('confirm-password').fill('battery-staple-2');
    await a.getByTestId('change-password').click();
    await expect.poll(() => a.getByTestId('password-done').textContent()).toBe('Password changed. Other devices were signed out.');

    // The other browser's cookie no longer opens a page, and its token is 401 at the gateway.
    await go(b, '/clients');
    expect(onLogin(b)).toBe(true);
    expect((await apiClient(stack.api, bToken).get('/api/auth/me')).status).toBe(401);
    // This browser stays signed in; the new password is the one that logs in.
    await go(a, '/clients');
    expect(a.url()).toBe(`${web.url}/clients`);
    await logIn(b, email, 'correct-horse-1');
    await expect.poll(() => b.getByTestId('form-error').textContent()).toContain('don’t match');
    await logIn(b, email, 'battery-staple-2');
    await b.waitForURL(`${web.url}/`);
    await ctxA.close();
    await ctxB.close();
    expect(problems).toEqual([]);
  }, 120_000);

  it('wrong passwords are reported once at the next log-in; a locked account says how long to wait', async () => {
    const me = await apiSignUp(stack.api);
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const page = await newPage(ctx, EXPECTED);
    for (const wrong of ['wrong-password-1', 'wrong-password-2']) {
      await logIn(page, me.email, wrong);
      await expect.poll(() => page.getByTestId('form-error').textContent()).toContain('don’t match');
    }
    await logIn(page, me.email, 'correct-horse-1');
    await page.waitForURL(`${web.url}/`);
    await expect.poll(() => page.getByTestId('toast').textContent()).toContain('2 failed sign-in attempts since your last visit.');
    // One-shot: the next page shows it no more.
    await go(page, '/clients');
    expect(await page.getByTestId('toast').count()).toBe(0);
    await ctx.close();

    // Five wrong passwords lock the account: the next try says how long to wait.
    const locked = await apiSignUp(stack.api);
    const ctx2 = await browser.newContext({ viewport: DESKTOP });
    const page2 = await newPage(ctx2, EXPECTED);
    for (let i = 1; i <= 5; i++) {
      await logIn(page2, locked.email, `wrong-password-${i}`);
      await expect.poll(() => page2.getByTestId('form-error').textContent()).toContain('don’t match');
    }
    await logIn(page2, locked.email, 'correct-horse-1');
    await expect.poll(() => page2.getByTestId('form-error').textContent()).toMatch(/^Too many attempts — try again in \d+ seconds?\.$/);
    await ctx2.close();
    expect(problems).toEqual([]);
  }, 120_000);

  it('a gateway that is down is a 503 page that keeps the cookies; when it is back the agent is still signed in', async () => {
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const page = await newPage(ctx, EXPECTED);
    await signUp(page, 'Gail Gateway', newEmail());
    const before = (await cookie(ctx, SESSION))!.value;
    await stack.stop('gateway');
    try {
      const res = await page.goto(`${web.url}/clients`);
      expect(res?.status()).toBe(503);
      expect(await page.getByTestId('gateway-unavailable').textContent()).toContain('still signed in');
      expect((await cookie(ctx, SESSION))?.value).toBe(before);
      expect(await cookie(ctx, REFRESH)).toBeDefined();
    } finally {
      await stack.start('gateway');
    }
    await go(page, '/clients');
    expect(page.url()).toBe(`${web.url}/clients`);
    await ctx.close();
    // The 503 document itself is the expected error here; nothing else may have failed.
    expect(problems.filter((p) => !/status of 503/.test(p))).toEqual([]);
  }, 120_000);
});
