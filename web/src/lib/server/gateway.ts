import { config } from './config.ts';

/** RFC 9457 problem details, as the gateway answers errors (ARCHITECTURE.md §7). */
export type Problem = {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { pointer: string; detail: string }[];
};

/** A failure also carries the gateway's Retry-After, in seconds (429 and 503 send it). */
export type GatewayResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; problem: Problem; retryAfter?: number };

type Options = {
  token?: string | null;
  body?: unknown;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /**
   * The browser's address (event.getClientAddress()), sent as X-Forwarded-For: the gateway
   * trusts it from this app (TRUST_PROXY) and its per-IP limits on log-in, sign-up, refresh
   * and password change then count each visitor, not the web server. Only the auth calls pass it.
   */
  clientIp?: string | null;
};

/**
 * Every write goes through the gateway's HTTP API with the agent's token. Failures come
 * back as problem details; a gateway that can't be reached is a 503 problem, never a throw.
 */
export async function gateway<T = unknown>(method: string, path: string, opts: Options = {}): Promise<GatewayResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.clientIp) headers['x-forwarded-for'] = opts.clientIp;
  // A form (a CSV upload) goes as multipart, its boundary set by fetch; anything else as JSON.
  const form = opts.body instanceof FormData;
  if (opts.body !== undefined && !form) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(`${config().GATEWAY_URL}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : form ? (opts.body as FormData) : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
  } catch (err) {
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    console.error(`gateway ${method} ${path} failed: ${err instanceof Error ? err.message : String(err)}`);
    return {
      ok: false,
      status: timedOut ? 504 : 503,
      problem: {
        title: timedOut ? 'The request took too long' : 'RealtorOS is temporarily unavailable',
        status: timedOut ? 504 : 503,
        detail: timedOut
          ? 'The service did not answer in time. Your change may still go through — refresh in a moment.'
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
  const retryAfter = retryAfterSeconds(res.headers.get('retry-after'));
  return {
    ok: false,
    status: res.status,
    ...(retryAfter === undefined ? {} : { retryAfter }),
    problem: {
      type: p.type,
      title: typeof p.title === 'string' ? p.title : res.statusText || 'Request failed',
      status: res.status,
      detail: typeof p.detail === 'string' ? p.detail : undefined,
      errors: Array.isArray(p.errors) ? p.errors.filter((e) => e && typeof e.pointer === 'string') : undefined,
    },
  };
}

/** Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterSeconds(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** The browser's address for `clientIp`; null where SvelteKit can't tell (prerendering, a test's bare event). */
export function clientAddress(event: { getClientAddress?: () => string }): string | null {
  try {
    return event.getClientAddress?.() ?? null;
  } catch {
    return null;
  }
}
