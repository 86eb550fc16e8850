/**
 * Log-in lock-out, per account, as pure rules over the account's credential record (the
 * gateway stores the record in a NATS KV bucket and applies these with compare-and-set, so
 * every replica and every client IP sees the same count).
 *
 * - 5 wrong passwords in a row lock the account for 15 s; each further wrong password after
 *   a lock has run out doubles it (30 s, 60 s, …), up to 15 minutes. While locked, log-in
 *   answers 429 with Retry-After without looking at the password, so a lock cannot be
 *   brute-forced through and costs no hashing.
 * - The right password (once unlocked) clears the streak; the count of failures since the
 *   last successful log-in is handed to the agent ("3 failed attempts since your last visit").
 * Not configurable (ARCHITECTURE §10): an operator tunes the per-IP rate limit instead.
 */
export const LOCK_AFTER_FAILURES = 5;
export const FIRST_LOCK_MS = 15_000;
export const MAX_LOCK_MS = 15 * 60_000;

export type LoginRecord = {
  /** Wrong passwords in a row (reset by a successful log-in). */
  failures: number;
  /** ISO time until which log-in is refused; null when not locked. */
  locked_until: string | null;
  /** Wrong passwords since the last successful log-in: what the agent is told after logging in. */
  failed_since_login: number;
  last_failed_at: string | null;
};

export const freshLoginRecord = (): LoginRecord => ({ failures: 0, locked_until: null, failed_since_login: 0, last_failed_at: null });

/** Milliseconds the account stays locked from `now`, or 0. */
export function lockedForMs(r: LoginRecord, now: Date): number {
  if (!r.locked_until) return 0;
  return Math.max(0, Date.parse(r.locked_until) - now.getTime());
}

/** The lock a streak of `failures` earns: none below 5, then 15 s doubling per failure, capped. */
export function lockDurationMs(failures: number): number {
  if (failures < LOCK_AFTER_FAILURES) return 0;
  return Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** Math.min(20, failures - LOCK_AFTER_FAILURES));
}

export function afterFailure(r: LoginRecord, now: Date): LoginRecord {
  const failures = r.failures + 1;
  const lock = lockDurationMs(failures);
  return {
    failures,
    locked_until: lock > 0 ? new Date(now.getTime() + lock).toISOString() : r.locked_until,
    failed_since_login: r.failed_since_login + 1,
    last_failed_at: now.toISOString(),
  };
}

export const afterSuccess = (): LoginRecord => freshLoginRecord();
