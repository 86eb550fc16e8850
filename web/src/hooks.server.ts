import { ConfigError } from '@realtoros/config';
import { type RequestEvent, redirect } from '@sveltejs/kit';
import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit/hooks';
import { type Authentication, authenticate } from '#lib/server/auth.ts';
import { config } from '#lib/server/config.ts';
import { closeDb } from '#lib/server/db.ts';
import { clientAddress } from '#lib/server/gateway.ts';
import { clearSession, isSecure, REFRESH_COOKIE, SESSION_COOKIE, setSession } from '#lib/server/session.ts';
import { retryLater } from '#lib/server/sse.ts';

/** Pages anyone may open; everything else needs a signed-in agent. */
const PUBLIC_PATHS = new Set(['/login', '/signup']);

export const init: ServerInit = async () => {
  try {
    config();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  process.once('sveltekit:shutdown', () => void closeDb());
};

/**
 * Every request is authenticated by the gateway (GET /api/auth/me with the access cookie;
 * when that token is dead or gone, POST /api/auth/refresh with the refresh cookie), since a
 * session may have ended — logged out, or signed out by a password change elsewhere — while
 * its token still verifies. A gateway that can't answer is a 503, never a log-out.
 */
export const handle: Handle = async ({ event, resolve }) => {
  const path = event.url.pathname;
  const sse = path === '/live' || event.request.headers.get('accept')?.includes('text/event-stream') === true;
  // The log-out action must run even when the gateway is down: it clears the cookies anyway.
  const leaving = path === '/logout' && event.request.method === 'POST';
  const token = event.cookies.get(SESSION_COOKIE) ?? null;
  const refresh = event.cookies.get(REFRESH_COOKIE) ?? null;
  const secure = isSecure(event.url);

  const auth: Authentication =
    token || refresh ? await authenticate({ token, refresh }, { clientIp: clientAddress(event) }) : { state: 'signed-out' };
  if (auth.state === 'unavailable' && !leaving) return withSecurityHeaders(unavailable(event, auth, sse), false);
  if (auth.state === 'signed-in') {
    if (auth.renewed) setSession(event.cookies, auth.renewed, secure);
  } else if (auth.state === 'signed-out' && (token || refresh)) {
    clearSession(event.cookies, secure);
  }
  event.locals.agent = auth.state === 'signed-in' ? auth.agent : null;
  // Unavailable while leaving: the cookie's token, only for the log-out call (the gateway checks it).
  event.locals.token = auth.state === 'signed-in' ? auth.token : auth.state === 'unavailable' ? token : null;

  if (!event.locals.agent && !PUBLIC_PATHS.has(path) && !leaving) {
    if (sse) return new Response('Sign in required', { status: 401 });
    const back = path === '/' ? '' : `?redirectTo=${encodeURIComponent(path + event.url.search)}`;
    redirect(303, `/login${back}`);
  }
  if (event.locals.agent && PUBLIC_PATHS.has(path) && event.request.method === 'GET') {
    redirect(303, '/');
  }

  return withSecurityHeaders(await resolve(event), event.locals.agent !== null);
};

function withSecurityHeaders(response: Response, signedIn: boolean): Response {
  response.headers.set('x-content-type-options', 'nosniff');
  response.headers.set('referrer-policy', 'same-origin');
  response.headers.set('x-frame-options', 'DENY');
  if (signedIn) response.headers.set('cache-control', 'private, no-store');
  return response;
}

/**
 * The gateway could not tell who this is: the page says so and the cookies stay. The live
 * stream gets its "offline, retry" answer (the EventSource reconnects by itself); a data
 * request or an enhanced form gets JSON, which SvelteKit shows on the error page; a page
 * load gets a small page of its own (no script, so it needs no CSP nonce).
 */
function unavailable(event: RequestEvent, auth: Extract<Authentication, { state: 'unavailable' }>, sse: boolean): Response {
  if (sse) return retryLater(`gateway answered ${auth.status}`);
  const status = auth.status === 429 || auth.status === 504 ? auth.status : 503;
  const message =
    auth.status === 429
      ? 'Too many requests from your address right now. Please try again in a moment.'
      : 'We could not reach the RealtorOS service to check your sign-in. You are still signed in — please try again in a moment.';
  const headers: Record<string, string> = { 'retry-after': String(auth.retryAfter ?? 5), 'cache-control': 'no-store' };
  const accept = event.request.headers.get('accept') ?? '';
  if (event.isDataRequest || event.request.headers.get('x-sveltekit-action') === 'true' || /^application\/json/.test(accept)) {
    return Response.json({ message }, { status, headers });
  }
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Temporarily unavailable · RealtorOS</title>
<style>body{font-family:system-ui,sans-serif;background:#f5f7fa;color:#17202c;display:grid;place-items:center;min-height:90vh;margin:0;padding:24px}
main{background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08);padding:32px;max-width:440px}
.code{font-size:.85rem;font-weight:700;color:#1f3a5f;letter-spacing:.08em}a{color:#1f3a5f;font-weight:600}</style></head>
<body><main data-testid="gateway-unavailable"><p class="code">${status}</p><h1>RealtorOS is temporarily unavailable</h1>
<p>${message}</p><p><a href="${escapeHtml(event.url.pathname + event.url.search)}">Try again</a></p></main></body></html>`;
  return new Response(html, {
    status,
    headers: {
      ...headers,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    },
  });
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

export const handleError: HandleServerError = (caught) => {
  if (caught.kind !== 'unknown') return; // app and framework errors keep their own status and message
  const id = crypto.randomUUID();
  console.error(`[${id}] ${caught.event.request.method} ${caught.event.url.pathname}:`, caught.error);
  return { message: 'Something went wrong on our side. Please try again.', id };
};
