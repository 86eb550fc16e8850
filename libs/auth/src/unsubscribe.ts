import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Unsubscribe links: `{agent_id, client_id, email_id}` packed as 48 bytes (three UUIDs) plus a
 * 16-byte HMAC-SHA256 tag, base64url (86 characters). The key is derived from JWT_SECRET
 * with its own label, so a login token can never pass for an unsubscribe token and back.
 * Links don't expire: an unsubscribe link must keep working (CAN-SPAM: 30 days at least).
 */
export type UnsubscribeClaims = { agent_id: string; client_id: string; email_id: string };

const TAG_BYTES = 16;
const keyOf = (secret: string) => createHmac('sha256', secret).update('realtoros/unsubscribe/v1').digest();
const uuidBytes = (id: string) => {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${id}`);
  return Buffer.from(hex, 'hex');
};
const uuidOf = (b: Buffer) => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

export function signUnsubscribeToken(secret: string, claims: UnsubscribeClaims): string {
  const ids = Buffer.concat([uuidBytes(claims.agent_id), uuidBytes(claims.client_id), uuidBytes(claims.email_id)]);
  const tag = createHmac('sha256', keyOf(secret)).update(ids).digest().subarray(0, TAG_BYTES);
  return Buffer.concat([ids, tag]).toString('base64url');
}

export function verifyUnsubscribeToken(secret: string, token: string | undefined | null): UnsubscribeClaims | null {
  if (!token || !/^[A-Za-z0-9_-]{86}$/.test(token)) return null;
  const raw = Buffer.from(token, 'base64url');
  if (raw.length !== 48 + TAG_BYTES) return null;
  const ids = raw.subarray(0, 48);
  const expected = createHmac('sha256', keyOf(secret)).update(ids).digest().subarray(0, TAG_BYTES);
  if (!timingSafeEqual(expected, raw.subarray(48))) return null;
  return { agent_id: uuidOf(ids.subarray(0, 16)), client_id: uuidOf(ids.subarray(16, 32)), email_id: uuidOf(ids.subarray(32, 48)) };
}
