import { config } from '#lib/server/config.ts';
import type { GatewayResult, Problem } from '#lib/server/gateway.ts';

/**
 * Forwards the agent's CSV to the gateway as `multipart/form-data` (field `file`, so the
 * gateway learns the file's name) with the session's token. The gateway helper sends JSON
 * only; this is its twin for a file. Failures come back as problem details, never a throw.
 */
export async function sendCsv<T>(path: string, file: File, token: string | null, query: URLSearchParams): Promise<GatewayResult<T>> {
  const body = new FormData();
  body.set('file', file, file.name || 'import.csv');
  const qs = query.size > 0 ? `?${query}` : '';
  let res: Response;
  try {
    res = await fetch(`${config().GATEWAY_URL}${path}${qs}`, {
      method: 'POST',
      headers: { accept: 'application/json, application/problem+json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
      // A 20 MB file is read and checked whole by the gateway: give it longer than a JSON write.
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    console.error(`gateway POST ${path} failed: ${err instanceof Error ? err.message : String(err)}`);
    const status = timedOut ? 504 : 503;
    return {
      ok: false,
      status,
      problem: {
        title: timedOut ? 'The file took too long to read' : 'RealtorOS is temporarily unavailable',
        status,
        detail: timedOut
          ? 'The service did not answer in time. Try again, or split the file into smaller parts.'
          : 'We could not reach the RealtorOS service. Please try again in a moment.',
      },
    };
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.ok) return { ok: true, status: res.status, data: json as T };
  const p = (json ?? {}) as Partial<Problem>;
  return {
    ok: false,
    status: res.status,
    problem: {
      title: typeof p.title === 'string' ? p.title : res.statusText || 'Request failed',
      status: res.status,
      detail: typeof p.detail === 'string' ? p.detail : undefined,
      errors: Array.isArray(p.errors) ? p.errors.filter((e) => e && typeof e.detail === 'string') : undefined,
    },
  };
}

/** A refusal in words for the agent: the problem's detail, then any per-field details it adds. */
export function problemMessage(problem: Problem): string {
  const parts = [problem.detail ?? problem.title, ...(problem.errors ?? []).map((e) => e.detail)];
  return [...new Set(parts.filter(Boolean))].join(' ');
}
