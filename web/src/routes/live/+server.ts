import { config } from '#lib/server/config.ts';
import { retryLater, SSE_HEADERS } from '#lib/server/sse.ts';
import type { RequestHandler } from './$types';

/**
 * Same-origin proxy of the gateway's SSE stream: the browser's EventSource can't send the
 * Bearer header, so this route opens `GET /api/events/stream` with the session's token and
 * pipes the bytes through untouched. When the gateway can't be reached it answers a short
 * stream that only sets `retry`, so the EventSource reconnects by itself a little later.
 */
export const GET: RequestHandler = async ({ locals, request }) => {
  if (!locals.token) return new Response('Sign in required', { status: 401 });
  const upstreamAbort = new AbortController();
  request.signal.addEventListener('abort', () => upstreamAbort.abort(), { once: true });
  const lastEventId = request.headers.get('last-event-id');
  try {
    const upstream = await fetch(`${config().GATEWAY_URL}/api/events/stream`, {
      headers: {
        authorization: `Bearer ${locals.token}`,
        accept: 'text/event-stream',
        ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
      },
      signal: upstreamAbort.signal,
    });
    if (upstream.status === 401) {
      upstreamAbort.abort();
      return new Response('Session expired', { status: 401 });
    }
    if (!upstream.ok || !upstream.body) {
      upstreamAbort.abort();
      return retryLater(`gateway answered ${upstream.status}`);
    }
    const reader = upstream.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch {
          controller.close();
        }
      },
      cancel() {
        upstreamAbort.abort();
        void reader.cancel().catch(() => {});
      },
    });
    return new Response(body, { headers: SSE_HEADERS });
  } catch (err) {
    return retryLater(err instanceof Error ? err.message : 'unreachable');
  }
};
