/** What the `/live` proxy answers with (an EventSource reads nothing else). */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

/**
 * A short stream that only sets `retry` and says `realtoros-offline`: the EventSource
 * reconnects by itself a little later (an error status would make the browser give up).
 */
export function retryLater(reason: string): Response {
  const text = `retry: 3000\n: live updates unavailable (${reason.replace(/[\r\n]/g, ' ')})\nevent: realtoros-offline\ndata: {}\n\n`;
  return new Response(text, { headers: SSE_HEADERS });
}
