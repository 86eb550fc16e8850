import { type GatewayResult, gateway, type Problem } from '#lib/server/gateway.ts';

/**
 * Forwards the agent's CSV to the gateway as `multipart/form-data` (field `file`, so the
 * gateway learns the file's name) with the session's token, through the one gateway helper.
 */
export function sendCsv<T>(path: string, file: File, token: string | null, query: URLSearchParams): Promise<GatewayResult<T>> {
  const body = new FormData();
  body.set('file', file, file.name || 'import.csv');
  const qs = query.size > 0 ? `?${query}` : '';
  // A 20 MB file is read and checked whole by the gateway: give it longer than a JSON write.
  return gateway<T>('POST', `${path}${qs}`, { token, body, timeoutMs: 60_000 });
}

/** A refusal in words for the agent: the problem's detail, then any per-field details it adds. */
export function problemMessage(problem: Problem): string {
  const parts = [problem.detail ?? problem.title, ...(problem.errors ?? []).map((e) => e.detail)];
  return [...new Set(parts.filter(Boolean))].join(' ');
}
