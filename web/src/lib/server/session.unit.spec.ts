import { describe, expect, it } from 'vitest';
import { safeRedirect } from './session.ts';

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
