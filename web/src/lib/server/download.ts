import { config } from './config.ts';

/**
 * A same-origin download of a gateway CSV with the session's token (a link cannot send the
 * Bearer header): `keys` of the page's query pass through, the bytes are streamed, never
 * buffered, and the gateway's status and download headers are kept.
 */
export async function proxyDownload(
  token: string | null | undefined,
  path: string,
  opts: { query?: URLSearchParams; keys?: readonly string[]; what: string },
): Promise<Response> {
  if (!token) return new Response('Sign in required', { status: 401 });
  const filters = new URLSearchParams();
  for (const key of opts.keys ?? []) {
    const v = opts.query?.get(key);
    if (v) filters.set(key, v);
  }
  const query = filters.size > 0 ? `?${filters}` : '';
  const upstream = await fetch(`${config().GATEWAY_URL}${path}${query}`, { headers: { authorization: `Bearer ${token}` } }).catch(
    () => null,
  );
  if (!upstream)
    return new Response(`The ${opts.what} is unavailable right now; try again in a moment.`, {
      status: 503,
      headers: { 'retry-after': '5' },
    });
  const headers = new Headers();
  for (const h of ['content-type', 'content-disposition', 'cache-control', 'retry-after']) {
    const v = upstream.headers.get(h);
    if (v) headers.set(h, v);
  }
  return new Response(upstream.body, { status: upstream.status, headers });
}
