import { storableText } from '@realtoros/messaging';

/**
 * Is a failed batch the fault of Postgres being unreachable or overloaded (retry the batch
 * later, park nothing), or of one of its events (park that event, let the rest flow)?
 *
 * Transient: an error with no SQLSTATE that comes from the connection (a Node socket error
 * such as ECONNREFUSED, or pg's own "Connection terminated…"), and the SQLSTATE classes
 * 08 (connection exception), 53 (insufficient resources), 57 (operator intervention: admin
 * shutdown, statement timeout), 58 (system error), plus 40001/40P01 (serialization failure,
 * deadlock: retrying succeeds). Everything else — 22xxx data exceptions such as
 * "unsupported Unicode escape sequence", 23xxx constraint violations, a TypeError in
 * projection code, an undecodable message — would fail the same way every time.
 */
export function isTransient(err: unknown): boolean {
  const sqlState = sqlStateOf(err);
  if (sqlState !== null) return ['08', '53', '57', '58'].includes(sqlState.slice(0, 2)) || sqlState === '40001' || sqlState === '40P01';
  if (!(err instanceof Error)) return false;
  // Node system errors carry an errno-style code (ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE…).
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return true;
  return CONNECTION_MESSAGES.test(err.message);
}

/** pg's own connection-level failures, which carry neither a SQLSTATE nor a system code. */
const CONNECTION_MESSAGES =
  /Connection terminated|connection error|timeout exceeded when trying to connect|not queryable|Client was closed|Cannot use a pool after calling end/i;

/** The five-character SQLSTATE of a Postgres error (pg's DatabaseError), else null. */
export function sqlStateOf(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { code?: unknown; severity?: unknown };
  return typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string' ? e.code : null;
}

/** The reason stored with a parked event: the error in one line, its SQLSTATE when there is one. */
export function reasonOf(err: unknown): string {
  const sqlState = sqlStateOf(err);
  const text = err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
  return storableText(`${sqlState ? `[${sqlState}] ` : ''}${text}`).slice(0, 1000);
}
