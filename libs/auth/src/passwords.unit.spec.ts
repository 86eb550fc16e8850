import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { afterFailure, afterSuccess, freshLoginRecord, lockDurationMs, lockedForMs } from './lockout.ts';
import { DUMMY_HASH, hashPassword, needsRehash, verifyPassword } from './passwords.ts';
import { signAccessToken, signingKeys, verifyAccessToken } from './tokens.ts';

const oldScrypt = (password: string) => {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', 1 << 15, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
};

describe('password hashes', () => {
  it('argon2id in PHC format with the OWASP parameters; verifies the password and nothing else', async () => {
    const h = await hashPassword('correct-horse-1');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=12288,t=3,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword('correct-horse-1', h)).toBe(true);
    expect(await verifyPassword('correct-horse-2', h)).toBe(false);
    expect(await hashPassword('correct-horse-1')).not.toBe(h); // salted
    expect(needsRehash(h)).toBe(false);
  });
  it('old scrypt hashes still verify and ask to be rehashed', async () => {
    const h = oldScrypt('old-password-1');
    expect(await verifyPassword('old-password-1', h)).toBe(true);
    expect(await verifyPassword('old-password-2', h)).toBe(false);
    expect(needsRehash(h)).toBe(true);
    expect(needsRehash('$argon2id$v=19$m=4096,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toBe(true);
  });
  it('a hash it cannot read, or one whose parameters would be a DoS lever, verifies nothing (no throw)', async () => {
    for (const stored of [
      '',
      'plain',
      'scrypt$x',
      '$argon2i$v=19$m=12288,t=3,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      '$argon2id$v=19$m=9999999,t=3,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      `scrypt$${1 << 22}$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2g`,
    ])
      expect(await verifyPassword('anything', stored), stored).toBe(false);
    expect(await verifyPassword('', DUMMY_HASH)).toBe(false);
  });
});

describe('lock-out rules', () => {
  const t0 = new Date('2026-12-04T10:00:00Z');
  it('4 failures lock nothing; the 5th locks for 15 s; after it runs out each failure doubles the lock, capped at 15 min', () => {
    let r = freshLoginRecord();
    for (let i = 0; i < 4; i++) r = afterFailure(r, t0);
    expect(lockedForMs(r, t0)).toBe(0);
    r = afterFailure(r, t0);
    expect(lockedForMs(r, t0)).toBe(15_000);
    expect(lockedForMs(r, new Date(t0.getTime() + 15_000))).toBe(0);
    const later = new Date(t0.getTime() + 16_000);
    r = afterFailure(r, later);
    expect(lockedForMs(r, later)).toBe(30_000);
    expect([5, 6, 7, 8, 12, 40].map(lockDurationMs)).toEqual([15_000, 30_000, 60_000, 120_000, 900_000, 900_000]);
    expect(r.failed_since_login).toBe(6);
    expect(afterSuccess()).toEqual(freshLoginRecord());
  });
});

describe('access tokens', () => {
  const keys = signingKeys('key-one-0123456789abcdef, key-two-0123456789abcdef');
  const claims = {
    sub: '0190a000-0000-7000-8000-000000000001',
    sid: '0190a000-0000-7000-8000-000000000002',
    email: 'a@example.com',
    name: 'A',
  };
  it('the first key signs with its kid; every key verifies; the kid shows nothing of the secret', async () => {
    expect(keys.map((k) => k.kid)).toHaveLength(2);
    expect(keys[0]?.kid).not.toContain('key-one');
    const t = await signAccessToken(keys, claims);
    expect(JSON.parse(Buffer.from(t.split('.')[0] as string, 'base64url').toString()).kid).toBe(keys[0]?.kid);
    expect(await verifyAccessToken(keys, t)).toMatchObject(claims);
    expect(await verifyAccessToken(keys.slice(1), await signAccessToken(keys.slice(1), claims))).toMatchObject(claims);
    expect(await verifyAccessToken(keys.slice(1), t)).toBeNull(); // its key retired
  });
  it('refuses another issuer, another audience, an expired token, alg none and junk', async () => {
    expect(await verifyAccessToken(keys, await signAccessToken(keys, claims, { issuer: 'x' }))).toBeNull();
    expect(await verifyAccessToken(keys, await signAccessToken(keys, claims, { audience: 'x' }))).toBeNull();
    expect(await verifyAccessToken(keys, await signAccessToken(keys, claims, { now: Date.now() - 7200_000 }))).toBeNull();
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: keys[0]?.kid })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, iss: 'realtoros', aud: 'realtoros-api', exp: 9e9, iat: 1 })).toString('base64url')}.`;
    for (const junk of [none, '', 'a.b.c', 'x'.repeat(5000), null, undefined]) expect(await verifyAccessToken(keys, junk)).toBeNull();
  });
});
