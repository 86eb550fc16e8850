import { describe, expect, it } from 'vitest';
import { requestIdOf } from './app.ts';

describe('requestIdOf: the caller’s x-request-id only when it is a short safe token', () => {
  it('keeps safe tokens as sent', () => {
    for (const id of ['abc', 'req-123_4.5:6', '0190a000-0000-7000-8000-000000000001', 'x'.repeat(128)]) expect(requestIdOf(id)).toBe(id);
  });
  it('replaces anything else with a fresh UUIDv7', () => {
    for (const id of ['a\tb', '<script>alert(1)</script>', 'x'.repeat(129), 'two words', 'é', '', undefined, ['a', 'b']]) {
      const got = requestIdOf(id);
      expect(got).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(got).not.toBe(id);
    }
  });
});
