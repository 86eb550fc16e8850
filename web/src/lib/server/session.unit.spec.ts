import type { Cookies } from '@sveltejs/kit';
import { describe, expect, it } from 'vitest';
import { clearSession, isSecure, REFRESH_COOKIE, SESSION_COOKIE, safeRedirect, setSession } from './session.ts';

describe('safeRedirect', () => {
  it('keeps paths on this site, with their query and fragment', () => {
    expect(safeRedirect('/clients')).toBe('/clients');
    expect(safeRedirect('/clients?stage=lead&q=elm%20st#top')).toBe('/clients?stage=lead&q=elm%20st#top');
    expect(safeRedirect('/tasks/0190a000-0000-7000-8000-000000000001')).toBe('/tasks/0190a000-0000-7000-8000-000000000001');
  });

  it('refuses anything a browser would read as another site (tabs and newlines dropped, backslash = slash)', () => {
    for (const evil of [
      '/\t/evil.example',
      '/\n/evil.example',
      '/\r\n/evil.example',
      '//evil.example',
      '/\\evil.example',
      '\\/evil.example',
      '/\\/evil.example',
      'https://evil.example/',
      'javascript:alert(1)',
      ' /clients',
      'clients',
      '',
      null,
      undefined,
    ])
      expect(safeRedirect(evil), JSON.stringify(evil)).toBe('/');
  });

  it('returns a clean, encoded path: no control characters reach the Location header', () => {
    const r = safeRedirect('/clients/\u0000x?q=<script>');
    expect(
      [...r].every((c) => c.charCodeAt(0) > 0x1f && c !== '<' && c !== '>'),
      r,
    ).toBe(true);
    expect(r.startsWith('/clients/')).toBe(true);
    expect(safeRedirect('/a/../../clients')).toBe('/clients');
  });

  it('uses the given fallback', () => {
    expect(safeRedirect('//evil.example', '/dashboard')).toBe('/dashboard');
  });
});

describe('session cookies', () => {
  /** Records what the app asks SvelteKit to set. */
  function jar() {
    const set: Record<string, { value: string; opts: Record<string, unknown> }> = {};
    const cookies = {
      set: (name: string, value: string, opts: Record<string, unknown>) => {
        set[name] = { value, opts };
      },
      delete: (name: string, opts: Record<string, unknown>) => {
        set[name] = { value: '', opts: { ...opts, maxAge: 0 } };
      },
    } as unknown as Cookies;
    return { cookies, set };
  }

  it('both tokens httpOnly, SameSite=Lax, path /; Secure exactly when the site is https', () => {
    for (const [origin, secure] of [
      ['https://crm.example.com/login', true],
      ['http://127.0.0.1:3000/login', false],
    ] as const) {
      const { cookies, set } = jar();
      setSession(cookies, { token: 'access', refresh_token: 'refresh', expires_in: 900 }, isSecure(new URL(origin)));
      expect(set[SESSION_COOKIE]).toEqual({ value: 'access', opts: { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: 900 } });
      expect(set[REFRESH_COOKIE]?.value).toBe('refresh');
      expect(set[REFRESH_COOKIE]?.opts).toMatchObject({ path: '/', httpOnly: true, sameSite: 'lax', secure });
      clearSession(cookies, secure);
      expect(set[SESSION_COOKIE]?.opts).toMatchObject({ path: '/', secure, maxAge: 0 });
      expect(set[REFRESH_COOKIE]?.opts).toMatchObject({ path: '/', secure, maxAge: 0 });
    }
  });
});
