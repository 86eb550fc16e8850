import { config } from '#lib/server/config.ts';
import type { RequestHandler } from './$types';

/**
 * Same-origin download of the gateway's `GET /api/clients/export.csv` with the session's
 * token (a link cannot send the Bearer header). The list's filters pass through as they
 * are; the bytes are streamed, not buffered.
 */
export const GET: RequestHandler = async ({ locals, url }) => {
  if (!locals.token) return new Response('Sign in required', { status: 401 });
  const filters = new URLSearchParams();
  for (const key of ['stage', 'property_type', 'q']) {
    const v = url.searchParams.get(key);
    if (v) filters.set(key, v);
  }
  const query = filters.size > 0 ? `?${filters}` : '';
  const upstream = await fetch(`${config().GATEWAY_URL}/api/clients/export.csv${query}`, {
    headers: { authorization: `Bearer ${locals.token}` },
  }).catch(() => null);
  if (!upstream) return new Response('The export is unavailable right now; try again in a moment.', { status: 503, headers: { 'retry-after': '5' } });
  const headers = new Headers();
  for (const h of ['content-type', 'content-disposition', 'cache-control', 'retry-after']) {
    const v = upstream.headers.get(h);
    if (v) headers.set(h, v);
  }
  return new Response(upstream.body, { status: upstream.status, headers });
};
