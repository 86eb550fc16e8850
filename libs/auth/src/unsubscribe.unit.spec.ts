import { describe, expect, it } from 'vitest';
import { signAccessToken, signingKeys } from '../index.ts';
import { signUnsubscribeToken, verifyUnsubscribeToken } from './unsubscribe.ts';

const SECRET = 'a-secret-of-at-least-16-chars';
const claims = {
  agent_id: '0190a000-0000-7000-8000-000000000001',
  client_id: '0190a000-0000-7000-8000-0000000000c1',
  email_id: '0190a000-0000-7000-8000-0000000000e1',
};

describe('unsubscribe tokens', () => {
  it('round-trips, URL-safe and compact', () => {
    const t = signUnsubscribeToken(SECRET, claims);
    expect(t).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(verifyUnsubscribeToken(SECRET, t)).toEqual(claims);
  });
  it('rejects a changed token, another secret, a login token and junk', async () => {
    const t = signUnsubscribeToken(SECRET, claims);
    const flipped = `${t.slice(0, 10)}${t[10] === 'A' ? 'B' : 'A'}${t.slice(11)}`;
    expect(verifyUnsubscribeToken(SECRET, flipped)).toBeNull();
    expect(verifyUnsubscribeToken('another-secret-16-chars', t)).toBeNull();
    const login = await signAccessToken(signingKeys(SECRET), { sub: claims.agent_id, sid: claims.email_id, email: 'a@b.c', name: 'A' });
    expect(verifyUnsubscribeToken(SECRET, login)).toBeNull();
    for (const junk of ['', 'x', `${t}A`, t.slice(0, -1), null, undefined]) expect(verifyUnsubscribeToken(SECRET, junk)).toBeNull();
  });
});
