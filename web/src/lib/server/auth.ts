import { type GatewayResult, gateway, type Problem } from './gateway.ts';
import type { SessionTokens } from './session.ts';

export type SignedInAgent = { id: string; email: string; name: string };
/** What POST /api/auth/login, /signup and /refresh answer. */
export type AuthAnswer = SessionTokens & { agent: SignedInAgent & { created_at?: string }; failed_attempts?: number };

/**
 * Who a request is, as the gateway says: a token's signature is not enough since sessions
 * can end (log-out, a password change), so the gateway is asked every time.
 * - `signed-in`: the session is live; `renewed` holds new cookies when the access token had
 *   to be renewed with the refresh token.
 * - `signed-out`: no session, or it has ended: the cookies go.
 * - `unavailable`: the gateway could not say (unreachable, timed out, 5xx, rate-limited):
 *   the cookies stay, so an outage never logs anyone out.
 */
export type Authentication =
  | { state: 'signed-in'; agent: SignedInAgent; token: string; renewed: AuthAnswer | null }
  | { state: 'signed-out' }
  | { state: 'unavailable'; status: number; problem: Problem; retryAfter?: number };

type Options = { clientIp?: string | null; fetch?: typeof fetch };

/** Answers that say nothing about the session: the gateway is down, slow or busy. */
const transient = (status: number) => status >= 500 || status === 429 || status === 408;

const agentOf = (a: SignedInAgent): SignedInAgent => ({ id: a.id, email: a.email, name: a.name });

export async function authenticate(
  cookies: { token?: string | null; refresh?: string | null },
  opts: Options = {},
): Promise<Authentication> {
  if (cookies.token) {
    const me = await gateway<SignedInAgent>('GET', '/api/auth/me', { token: cookies.token, fetch: opts.fetch });
    if (me.ok) return { state: 'signed-in', agent: agentOf(me.data), token: cookies.token, renewed: null };
    if (me.status !== 401) return transient(me.status) ? unavailable(me) : { state: 'signed-out' };
  }
  if (!cookies.refresh) return { state: 'signed-out' };
  const r = await gateway<AuthAnswer>('POST', '/api/auth/refresh', {
    body: { refresh_token: cookies.refresh },
    clientIp: opts.clientIp,
    fetch: opts.fetch,
  });
  if (r.ok) {
    // The gateway keeps the refresh token (no rotation) but may one day send a new one.
    const renewed = { ...r.data, refresh_token: r.data.refresh_token ?? cookies.refresh };
    return { state: 'signed-in', agent: agentOf(r.data.agent), token: r.data.token, renewed };
  }
  return transient(r.status) ? unavailable(r) : { state: 'signed-out' };
}

function unavailable(r: Extract<GatewayResult<unknown>, { ok: false }>): Authentication {
  return {
    state: 'unavailable',
    status: r.status,
    problem: r.problem,
    ...(r.retryAfter === undefined ? {} : { retryAfter: r.retryAfter }),
  };
}

/**
 * A 429's message with the wait: from Retry-After, else the seconds (or minutes) the
 * problem's detail names ("locked for 15 s", "Try again in 1 minute").
 */
export function tooManyAttempts(r: { problem: Problem; retryAfter?: number }): string {
  let seconds = r.retryAfter;
  if (seconds === undefined && r.problem.detail) {
    const s = /(\d+)\s*(?:s\b|seconds?\b)/i.exec(r.problem.detail);
    const m = /(\d+)\s*minutes?\b/i.exec(r.problem.detail);
    seconds = s ? Number(s[1]) : m ? Number(m[1]) * 60 : undefined;
  }
  if (seconds === undefined) return 'Too many attempts — try again in a moment.';
  const n = Math.max(1, Math.ceil(seconds));
  return `Too many attempts — try again in ${n} second${n === 1 ? '' : 's'}.`;
}

/** The one-shot notice after a log-in that followed wrong passwords (null when there were none). */
export function failedAttemptsNotice(failed: number | undefined): string | null {
  if (!failed || failed <= 0) return null;
  return `${failed} failed sign-in attempt${failed === 1 ? '' : 's'} since your last visit. If that wasn’t you, change your password in Settings.`;
}
