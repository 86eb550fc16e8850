import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Reply-To tokens: an email goes out with `Reply-To: reply+<token>@<INBOUND_DOMAIN>`, and the
 * token in the address a reply arrives at names the email it answers. The token is the
 * email's UUID (16 bytes) plus a 10-byte HMAC-SHA256 tag, 26 bytes in lowercase base32
 * (42 characters), so `reply+<token>` (48) stays within the 64 characters a local part may
 * have, and a mail server that lowercases (or uppercases) local parts does not break it.
 * The key is derived from the secret with its own label, like the unsubscribe token's, so
 * neither token can pass for the other. An 80-bit tag is plenty for a token an attacker can
 * only test by sending mail. Tokens don't expire: a client may answer months later.
 */

const TAG_BYTES = 10;
const UUID_BYTES = 16;
const TOKEN_BYTES = UUID_BYTES + TAG_BYTES;
const TOKEN_CHARS = Math.ceil((TOKEN_BYTES * 8) / 5);
const LOCAL_PART_PREFIX = 'reply+';
const keyOf = (secret: string) => createHmac('sha256', secret).update('realtoros/reply/v1').digest();
const tagOf = (secret: string, uuid: Buffer) => createHmac('sha256', keyOf(secret)).update(uuid).digest().subarray(0, TAG_BYTES);

const uuidBytes = (id: string) => {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${id}`);
  return Buffer.from(hex, 'hex');
};
const uuidOf = (b: Buffer) => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/** RFC 4648 base32 in lowercase, unpadded; Node's Buffer has no base32 encoding. */
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes lowercase or uppercase base32; null for any other character or for leftover bits
 * that aren't zero, so each byte string has exactly one spelling (per case).
 */
export function base32Decode(text: string): Buffer | null {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text.toLowerCase()) {
    const digit = BASE32.indexOf(ch);
    if (digit < 0) return null;
    value = (value << 5) | digit;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  if (bits >= 5 || value !== 0) return null;
  return Buffer.from(bytes);
}

export function signReplyToken(secret: string, emailId: string): string {
  const uuid = uuidBytes(emailId);
  return base32Encode(Buffer.concat([uuid, tagOf(secret, uuid)]));
}

export function verifyReplyToken(secret: string, token: string | null | undefined): { email_id: string } | null {
  if (!token || token.length !== TOKEN_CHARS) return null;
  const raw = base32Decode(token);
  if (!raw || raw.length !== TOKEN_BYTES) return null;
  const uuid = raw.subarray(0, UUID_BYTES);
  if (!timingSafeEqual(tagOf(secret, uuid), raw.subarray(UUID_BYTES))) return null;
  return { email_id: uuidOf(uuid) };
}

/** The Reply-To address for one sent email: `reply+<token>@<domain>`. */
export function replyAddress(secret: string, emailId: string, domain: string): string {
  return `${LOCAL_PART_PREFIX}${signReplyToken(secret, emailId)}@${domain}`;
}

/**
 * The token in one address at our inbound domain, lowercased (tokens are case-insensitive),
 * or null for another domain or local part. Takes a bare address or a mailbox with a display
 * name (`"Agent" <reply+abc@in.example.com>`); the angle-bracketed part wins, so a display
 * name that looks like an address is never read. Domains compare case-insensitively.
 */
export function replyTokenOf(address: string, domain: string): string | null {
  const bracketed = /<([^<>]*)>\s*$/.exec(address);
  const addr = (bracketed ? bracketed[1]! : address).trim();
  const at = addr.lastIndexOf('@');
  if (at < 0 || addr.slice(at + 1).toLowerCase() !== domain.trim().toLowerCase()) return null;
  const local = addr.slice(0, at).toLowerCase();
  if (!local.startsWith(LOCAL_PART_PREFIX)) return null;
  const token = local.slice(LOCAL_PART_PREFIX.length);
  return /^[a-z2-7]+$/.test(token) ? token : null;
}
