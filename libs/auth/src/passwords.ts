import { argon2, randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashes. New ones are argon2id (Node's own `crypto.argon2`) with one of OWASP's
 * equivalent parameter sets — m = 12 MiB, t = 3, p = 1 — stored in the PHC string format
 * (`$argon2id$v=19$m=12288,t=3,p=1$<salt>$<hash>`, unpadded base64 as the format asks).
 * Why this set and not m = 19 MiB, t = 2: on this machine class a 19 MiB allocation per hash
 * costs ~150 ms (fresh pages each time), 12 MiB × 3 passes ~30 ms, for the same strength.
 * Hashes written before (`scrypt$N$r$p$salt$hash`, N = 2^15) still verify; `needsRehash`
 * says so, and the log-in that proves the password writes an argon2id hash in its place.
 */
export const ARGON2 = { memory: 12_288, passes: 3, parallelism: 1, tagLength: 32 } as const;
const SALT_BYTES = 16;

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

function argon2id(password: string, salt: Buffer, p: { memory: number; passes: number; parallelism: number; tagLength: number }) {
  return new Promise<Buffer>((resolve, reject) =>
    argon2('argon2id', { message: password, nonce: salt, ...p }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

function scryptKey(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, { ...opts, maxmem: 256 * opts.N! * opts.r! }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await argon2id(password, salt, ARGON2);
  return `$argon2id$v=19$m=${ARGON2.memory},t=${ARGON2.passes},p=${ARGON2.parallelism}$${b64(salt)}$${b64(key)}`;
}

const PHC = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{16,})$/;
/** Legacy scrypt parameters are read from the hash, but only within sane bounds (a stored value is never a DoS lever). */
const SCRYPT = /^scrypt\$(\d{1,7})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

/** True when `password` is the one `stored` was made from; false for a wrong one or a hash we cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const a = PHC.exec(stored);
  if (a) {
    const [, m, t, p, salt, hash] = a as unknown as [string, string, string, string, string, string];
    const expected = Buffer.from(hash, 'base64');
    const params = { memory: Number(m), passes: Number(t), parallelism: Number(p), tagLength: expected.length };
    if (params.memory > 262_144 || params.passes > 10 || params.parallelism > 8 || expected.length < 16) return false;
    const key = await argon2id(password, Buffer.from(salt, 'base64'), params);
    return timingSafeEqual(key, expected);
  }
  const s = SCRYPT.exec(stored);
  if (s) {
    const [, n, r, p, salt, hash] = s as unknown as [string, string, string, string, string, string];
    const N = Number(n);
    if (N > 1 << 17 || (N & (N - 1)) !== 0 || Number(r) > 16 || Number(p) > 4) return false;
    const expected = Buffer.from(hash, 'base64url');
    if (expected.length < 16) return false;
    const key = await scryptKey(password, Buffer.from(salt, 'base64url'), expected.length, { N, r: Number(r), p: Number(p) });
    return timingSafeEqual(key, expected);
  }
  return false;
}

/** True unless `stored` is argon2id with today's parameters (or stronger): the next proven log-in rewrites it. */
export function needsRehash(stored: string): boolean {
  const a = PHC.exec(stored);
  if (!a) return true;
  return Number(a[1]) * Number(a[2]) < ARGON2.memory * ARGON2.passes || Number(a[3]) !== ARGON2.parallelism;
}

/**
 * A hash of no password, verified when the email names no account (or no credential), so
 * an unknown email costs the same time as a known one and timing does not tell them apart.
 */
export const DUMMY_HASH = `$argon2id$v=19$m=${ARGON2.memory},t=${ARGON2.passes},p=${ARGON2.parallelism}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
