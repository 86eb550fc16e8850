/** Tiny HTTP client for API tests: JSON in, status + parsed body out. */
export type ApiResponse<T = any> = { status: number; body: T; headers: Headers };

export function apiClient(base: string, token?: string) {
  async function call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {}
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
  return {
    get: <T = any>(p: string) => call<T>('GET', p),
    post: <T = any>(p: string, b?: unknown, h?: Record<string, string>) => call<T>('POST', p, b, h),
    patch: <T = any>(p: string, b?: unknown) => call<T>('PATCH', p, b),
    del: <T = any>(p: string) => call<T>('DELETE', p),
    call,
  };
}

let n = 0;
export async function signUp(base: string, name = 'Agent') {
  const email = `agent${Date.now().toString(36)}${++n}@example.com`;
  const r = await apiClient(base).post('/api/auth/signup', { email, password: 'correct-horse-1', name });
  if (r.status !== 201) throw new Error(`signup failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { token: r.body.token as string, agent: r.body.agent as { id: string; email: string }, api: apiClient(base, r.body.token), email };
}
