import { createHash, webcrypto } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';

/**
 * Access tokens: JWTs (jose), HS256, with issuer, audience, expiry and a `kid` naming the key.
 * Keys come from `JWT_SECRETS` (comma-separated): the first signs, every one verifies, so a
 * key is rotated by putting the new one first, and retired by removing it once the tokens it
 * signed have expired (ACCESS_TOKEN_TTL_S: minutes, not days). A token names its session
 * (`sid`); the gateway refuses a token whose session was ended (log-out, password change),
 * so a valid signature alone is not enough.
 */
export const TOKEN_ISSUER = 'realtoros';
export const TOKEN_AUDIENCE = 'realtoros-api';
export const ACCESS_TOKEN_TTL_S = 15 * 60;

export type SigningKey = { kid: string; secret: Uint8Array };
export type AccessClaims = { sub: string; sid: string; email: string; name: string; iat: number; exp: number };

/**
 * Each key imported into WebCrypto once: jose would otherwise import the raw secret on every
 * sign and verify, which was about a seventh of the gateway's CPU on a cheap read.
 */
const imported = new WeakMap<SigningKey, Promise<webcrypto.CryptoKey>>();
function cryptoKeyOf(key: SigningKey): Promise<webcrypto.CryptoKey> {
  let k = imported.get(key);
  if (!k) {
    k = webcrypto.subtle.importKey('raw', key.secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    imported.set(key, k);
  }
  return k;
}

/** The key id of a secret: a digest, so the header never shows the secret or a prefix of it. */
export const kidOf = (secret: string) => createHash('sha256').update(`realtoros/jwt-kid/v1\0${secret}`).digest('base64url').slice(0, 16);

/** Parses `JWT_SECRETS` (first signs, all verify); blanks are dropped. */
export function signingKeys(secrets: string): SigningKey[] {
  const list = secrets
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.map((s) => ({ kid: kidOf(s), secret: new TextEncoder().encode(s) }));
}

export async function signAccessToken(
  keys: readonly SigningKey[],
  claims: { sub: string; sid: string; email: string; name: string },
  opts: { ttlSeconds?: number; now?: number; issuer?: string; audience?: string } = {},
): Promise<string> {
  const key = keys[0];
  if (!key) throw new Error('no signing key (JWT_SECRETS is empty)');
  const iat = Math.floor((opts.now ?? Date.now()) / 1000);
  return new SignJWT({ sid: claims.sid, email: claims.email, name: claims.name })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.kid })
    .setSubject(claims.sub)
    .setIssuer(opts.issuer ?? TOKEN_ISSUER)
    .setAudience(opts.audience ?? TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (opts.ttlSeconds ?? ACCESS_TOKEN_TTL_S))
    .sign(await cryptoKeyOf(key));
}

/**
 * The claims of a token signed by one of `keys` (looked up by its `kid`; an unknown or
 * missing kid never verifies), issued by us for our audience and not expired; null otherwise.
 */
export async function verifyAccessToken(
  keys: readonly SigningKey[],
  token: string | null | undefined,
  now?: number,
): Promise<AccessClaims | null> {
  if (!token || token.length > 4096) return null;
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = keys.find((k) => k.kid === header.kid);
        if (!key) throw new errors.JWKSNoMatchingKey();
        return cryptoKeyOf(key);
      },
      {
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        algorithms: ['HS256'],
        requiredClaims: ['sub', 'exp', 'iat'],
        ...(now !== undefined ? { currentDate: new Date(now) } : {}),
      },
    );
    const { sub, sid, email, name, iat, exp } = payload as Record<string, unknown>;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof email !== 'string' || typeof name !== 'string') return null;
    return { sub, sid, email, name, iat: iat as number, exp: exp as number };
  } catch {
    return null;
  }
}
