import { verifyToken } from '@realtoros/auth';
import { ConfigError } from '@realtoros/config';
import { redirect } from '@sveltejs/kit';
import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit/hooks';
import { config } from '#lib/server/config.ts';
import { closeDb } from '#lib/server/db.ts';
import { clearSession, SESSION_COOKIE } from '#lib/server/session.ts';

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

export const handle: Handle = async ({ event, resolve }) => {
  const token = event.cookies.get(SESSION_COOKIE);
  const claims = token ? verifyToken(config().JWT_SECRET, token) : null;
  if (token && !claims) clearSession(event.cookies);
  event.locals.agent = claims ? { id: claims.sub, email: claims.email, name: claims.name } : null;
  event.locals.token = claims ? (token ?? null) : null;

  const path = event.url.pathname;
  if (!event.locals.agent && !PUBLIC_PATHS.has(path)) {
    if (path === '/live' || event.request.headers.get('accept')?.includes('text/event-stream')) {
      return new Response('Sign in required', { status: 401 });
    }
    const back = path === '/' ? '' : `?redirectTo=${encodeURIComponent(path + event.url.search)}`;
    redirect(303, `/login${back}`);
  }
  if (event.locals.agent && PUBLIC_PATHS.has(path) && event.request.method === 'GET') {
    redirect(303, '/');
  }

  const response = await resolve(event);
  response.headers.set('x-content-type-options', 'nosniff');
  response.headers.set('referrer-policy', 'same-origin');
  response.headers.set('x-frame-options', 'DENY');
  if (event.locals.agent) response.headers.set('cache-control', 'private, no-store');
  return response;
};

export const handleError: HandleServerError = (caught) => {
  if (caught.kind !== 'unknown') return; // app and framework errors keep their own status and message
  const id = crypto.randomUUID();
  console.error(`[${id}] ${caught.event.request.method} ${caught.event.url.pathname}:`, caught.error);
  return { message: 'Something went wrong on our side. Please try again.', id };
};
