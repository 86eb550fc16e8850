import type { Cookies } from '@sveltejs/kit';
import { DEFAULT_TZ, isValidTimeZone } from '#lib/format.ts';

/** The gateway's access token (15 minutes; the gateway checks its session on every request). */
export const SESSION_COOKIE = 'realtoros_session';
/** The session's refresh token: renews the access token (POST /api/auth/refresh) until the session ends. */
export const REFRESH_COOKIE = 'realtoros_refresh';
export const TZ_COOKIE = 'realtoros_tz';
const FLASH_COOKIE = 'realtoros_flash';
/**
 * The refresh cookie outlives any session (the gateway's SESSION_TTL_S is 14 days by
 * default): the gateway, not the cookie, says when a session is over.
 */
const REFRESH_MAX_AGE = 30 * 24 * 3600;

/** What log-in, sign-up and refresh answer (POST /api/auth/login|signup|refresh). */
export type SessionTokens = { token: string; refresh_token?: string; expires_in?: number };

/**
 * Cookies are `Secure` exactly when the site is served over https. `url` is the request's
 * URL as SvelteKit sees it: behind adapter-node that is the ORIGIN the app was built with
 * (or PROTOCOL_HEADER/HOST_HEADER when set), so a TLS-terminating proxy in front of a
 * plain-http Node still gets Secure cookies as long as ORIGIN says https.
 */
export function isSecure(url: URL): boolean {
  return url.protocol === 'https:';
}

/**
 * Both tokens, kept where page scripts can't read them (httpOnly, SameSite=Lax, path /).
 * The access cookie lives as long as its token (`expires_in`), so once it is gone the next
 * request renews it with the refresh cookie instead of asking with a dead token first.
 */
export function setSession(cookies: Cookies, tokens: SessionTokens, secure: boolean): void {
  const base = { path: '/', httpOnly: true, sameSite: 'lax', secure } as const;
  cookies.set(SESSION_COOKIE, tokens.token, { ...base, maxAge: tokens.expires_in && tokens.expires_in > 0 ? tokens.expires_in : 900 });
  if (tokens.refresh_token) cookies.set(REFRESH_COOKIE, tokens.refresh_token, { ...base, maxAge: REFRESH_MAX_AGE });
}

/** `secure` as they were set: a deletion marked Secure is ignored by a browser on plain http. */
export function clearSession(cookies: Cookies, secure: boolean): void {
  cookies.delete(SESSION_COOKIE, { path: '/', secure });
  cookies.delete(REFRESH_COOKIE, { path: '/', secure });
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
