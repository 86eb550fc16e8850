export { ARGON2, DUMMY_HASH, hashPassword, needsRehash, verifyPassword } from './src/passwords.ts';
export { replyAddress, replyTokenOf, signReplyToken, verifyReplyToken } from './src/reply-token.ts';
export {
  ACCESS_TOKEN_TTL_S,
  type AccessClaims,
  kidOf,
  type SigningKey,
  signAccessToken,
  signingKeys,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  verifyAccessToken,
} from './src/tokens.ts';
export { signUnsubscribeToken, type UnsubscribeClaims, verifyUnsubscribeToken } from './src/unsubscribe.ts';
export {
  afterFailure,
  afterSuccess,
  FIRST_LOCK_MS,
  freshLoginRecord,
  LOCK_AFTER_FAILURES,
  lockDurationMs,
  lockedForMs,
  type LoginRecord,
  MAX_LOCK_MS,
} from './src/lockout.ts';
