import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, replyAddress, replyTokenOf, signReplyToken, verifyReplyToken } from './reply-token.ts';
import { signUnsubscribeToken } from './unsubscribe.ts';

const SECRET = 'a-secret-of-at-least-16-chars';
const EMAIL = '0190a000-0000-7000-8000-0000000000e1';
const DOMAIN = 'in.example.com';

describe('base32 (RFC 4648 §10 vectors, lowercase, unpadded)', () => {
  it.each([
    ['', ''],
    ['f', 'my'],
    ['fo', 'mzxq'],
    ['foo', 'mzxw6'],
    ['foob', 'mzxw6yq'],
    ['fooba', 'mzxw6ytb'],
    ['foobar', 'mzxw6ytboi'],
  ])('%j ⇄ %j', (plain, encoded) => {
    expect(base32Encode(Buffer.from(plain))).toBe(encoded);
    expect(base32Decode(encoded)?.toString()).toBe(plain);
    expect(base32Decode(encoded.toUpperCase())?.toString()).toBe(plain);
  });
  it.each([
    ['a character outside the alphabet', 'mzxw1'],
    ['padding', 'my======'],
    ['non-zero leftover bits', 'mz'],
    ['a leftover whole character', 'mzx'],
  ])('rejects %s', (_, text) => {
    expect(base32Decode(text)).toBeNull();
  });
});

describe('reply tokens', () => {
  it('is the UUID plus a 10-byte tag keyed by its own label, 42 lowercase base32 characters', () => {
    const t = signReplyToken(SECRET, EMAIL);
    expect(t).toMatch(/^[a-z2-7]{42}$/);
    const key = createHmac('sha256', SECRET).update('realtoros/reply/v1').digest();
    const uuid = Buffer.from(EMAIL.replace(/-/g, ''), 'hex');
    const tag = createHmac('sha256', key).update(uuid).digest().subarray(0, 10);
    expect(base32Decode(t)).toEqual(Buffer.concat([uuid, tag]));
  });

  it('round-trips, and the address local part stays within 64 characters', () => {
    const t = signReplyToken(SECRET, EMAIL);
    expect(verifyReplyToken(SECRET, t)).toEqual({ email_id: EMAIL });
    const address = replyAddress(SECRET, EMAIL, DOMAIN);
    expect(address).toBe(`reply+${t}@${DOMAIN}`);
    expect(address.split('@')[0]!.length).toBe(48);
  });

  it('gives back the UUID in lowercase, however it was written', () => {
    expect(verifyReplyToken(SECRET, signReplyToken(SECRET, EMAIL.toUpperCase()))).toEqual({ email_id: EMAIL });
  });

  it('accepts the token in uppercase or mixed case (servers that change a local part’s case)', () => {
    const t = signReplyToken(SECRET, EMAIL);
    expect(verifyReplyToken(SECRET, t.toUpperCase())).toEqual({ email_id: EMAIL });
    const mixed = [...t].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
    expect(verifyReplyToken(SECRET, mixed)).toEqual({ email_id: EMAIL });
  });

  it('rejects a token changed in any one character', () => {
    const t = signReplyToken(SECRET, EMAIL);
    for (let i = 0; i < t.length; i++) {
      const flipped = `${t.slice(0, i)}${t[i] === 'a' ? 'b' : 'a'}${t.slice(i + 1)}`;
      expect(verifyReplyToken(SECRET, flipped)).toBeNull();
    }
  });

  it('rejects another secret, and an unsubscribe token made from the same secret', () => {
    const t = signReplyToken(SECRET, EMAIL);
    expect(verifyReplyToken('another-secret-16-chars', t)).toBeNull();
    const unsubscribe = signUnsubscribeToken(SECRET, { agent_id: EMAIL, client_id: EMAIL, email_id: EMAIL });
    expect(verifyReplyToken(SECRET, unsubscribe)).toBeNull();
  });

  it.each([
    ['empty', ''],
    ['null', null],
    ['undefined', undefined],
    ['one character', 'a'],
    ['one character short', 'a'.repeat(41)],
    ['one character long', 'a'.repeat(43)],
    ['42 characters outside the alphabet', '0'.repeat(42)],
    ['42 letters that are no token', 'a'.repeat(42)],
  ])('rejects %s', (_, token) => {
    expect(verifyReplyToken(SECRET, token)).toBeNull();
  });

  it('rejects a valid token with a character added or cut', () => {
    const t = signReplyToken(SECRET, EMAIL);
    expect(verifyReplyToken(SECRET, `${t}a`)).toBeNull();
    expect(verifyReplyToken(SECRET, t.slice(0, -1))).toBeNull();
    expect(verifyReplyToken(SECRET, ` ${t}`)).toBeNull();
  });

  it('refuses to sign something that is not a UUID', () => {
    expect(() => signReplyToken(SECRET, 'not-a-uuid')).toThrow('not a UUID: not-a-uuid');
  });
});

describe('replyTokenOf', () => {
  it.each([
    ['a bare address', 'reply+abc234@in.example.com', 'abc234'],
    ['a display name and angle brackets', '"Agent" <reply+abc234@in.example.com>', 'abc234'],
    ['an unquoted display name', 'Jane Agent <reply+abc234@in.example.com>', 'abc234'],
    ['the domain in another case', 'reply+abc234@IN.Example.COM', 'abc234'],
    ['the whole address uppercased', 'REPLY+ABC234@IN.EXAMPLE.COM', 'abc234'],
    ['surrounding whitespace', '  <reply+abc234@in.example.com>  ', 'abc234'],
  ])('takes the token from %s', (_, address, token) => {
    expect(replyTokenOf(address, DOMAIN)).toBe(token);
  });

  it.each([
    ['another domain', 'reply+abc234@other.example.com'],
    ['a subdomain of ours', 'reply+abc234@x.in.example.com'],
    ['a domain that ends like ours', 'reply+abc234@evilin.example.com'],
    ['another local part', 'jane+abc234@in.example.com'],
    ['no token', 'reply+@in.example.com'],
    ['no plus', 'reply@in.example.com'],
    ['characters outside base32', 'reply+abc-189@in.example.com'],
    ['an address only in the display name', '"reply+abc234@in.example.com" <jane@other.example.com>'],
    ['no address', 'Jane Agent'],
    ['empty', ''],
  ])('is null for %s', (_, address) => {
    expect(replyTokenOf(address, DOMAIN)).toBeNull();
  });

  it('finds a real reply address that then verifies', () => {
    const address = replyAddress(SECRET, EMAIL, DOMAIN);
    const token = replyTokenOf(`"Jane at RealtorOS" <${address.toUpperCase()}>`, DOMAIN);
    expect(verifyReplyToken(SECRET, token)).toEqual({ email_id: EMAIL });
  });
});
