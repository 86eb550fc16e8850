import type { Cookies } from '@sveltejs/kit';
import { DEFAULT_TZ, isValidTimeZone } from '#lib/format.ts';

export const SESSION_COOKIE = 'realtoros_session';
export const TZ_COOKIE = 'realtoros_tz';
const FLASH_COOKIE = 'realtoros_flash';
const WEEK = 7 * 24 * 3600;

/** The gateway's token, kept where page scripts can't read it. */
export function setSession(cookies: Cookies, token: string, secure: boolean): void {
  cookies.set(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: WEEK });
}

export function clearSession(cookies: Cookies): void {
  cookies.delete(SESSION_COOKIE, { path: '/' });
}

/** The agent's time zone, as the browser reported it (see +layout.svelte and the auth forms). */
export function timeZoneOf(cookies: Cookies): string {
  const tz = cookies.get(TZ_COOKIE);
  return isValidTimeZone(tz) ? tz : DEFAULT_TZ;
}

export function rememberTimeZone(cookies: Cookies, tz: unknown, secure: boolean): void {
  if (typeof tz === 'string' && isValidTimeZone(tz)) {
    cookies.set(TZ_COOKIE, tz, { path: '/', httpOnly: false, sameSite: 'lax', secure, maxAge: 365 * 24 * 3600 });
  }
}

/** A one-shot message that survives a redirect (shown by the root layout). */
export function setFlash(cookies: Cookies, message: string): void {
  cookies.set(FLASH_COOKIE, message, { path: '/', httpOnly: true, sameSite: 'lax', maxAge: 60 });
}

export function takeFlash(cookies: Cookies): string | null {
  const msg = cookies.get(FLASH_COOKIE);
  if (msg) cookies.delete(FLASH_COOKIE, { path: '/' });
  return msg ?? null;
}

const SAME_SITE = 'http://realtoros.invalid';

/**
 * Only a path on this site may be a redirect target after login. The target is parsed the
 * way a browser would read the Location header — which drops tabs and newlines and treats
 * `\\` as `/`, so `/\t/evil.example` means `//evil.example` — and kept only if it stays on
 * this origin; what is returned is the parsed path, percent-encoded, with no control
 * characters left. Anything else falls back (SvelteKit refuses an external redirect with a
 * 500, and the agent should simply land on the dashboard).
 */
export function safeRedirect(target: string | null | undefined, fallback = '/'): string {
  if (typeof target !== 'string' || !target.startsWith('/')) return fallback;
  let url: URL;
  try {
    url = new URL(target, SAME_SITE);
  } catch {
    return fallback;
  }
  if (url.origin !== SAME_SITE || url.username || url.password) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}
