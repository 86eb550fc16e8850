/**
 * Dates for people. Every format takes the agent's IANA time zone explicitly, so the server
 * render and the browser render print the same text (no hydration drift), and `now` comes
 * from the server's load data for the same reason.
 */

export const DEFAULT_TZ = 'UTC';

export function isValidTimeZone(tz: string | undefined | null): tz is string {
  if (!tz || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const cache = new Map<string, Intl.DateTimeFormat>();
function dtf(tz: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = tz + JSON.stringify(opts);
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, ...opts });
    cache.set(key, f);
  }
  return f;
}

const toDate = (v: string | Date) => (v instanceof Date ? v : new Date(v));

/** "Nov 21, 7:31 PM" (year added when it isn't the current one). */
export function formatDateTime(v: string | Date | null | undefined, tz: string, now: Date = new Date()): string {
  if (!v) return '—';
  const d = toDate(v);
  const sameYear = parts(d, tz).year === parts(now, tz).year;
  return dtf(
    tz,
    sameYear
      ? { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }
      : { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' },
  ).format(d);
}

/** "Nov 21, 2026" */
export function formatDate(v: string | Date | null | undefined, tz: string): string {
  if (!v) return '—';
  return dtf(tz, { year: 'numeric', month: 'short', day: 'numeric' }).format(toDate(v));
}

/** "7:31 PM" */
export function formatTime(v: string | Date | null | undefined, tz: string): string {
  if (!v) return '—';
  return dtf(tz, { hour: 'numeric', minute: '2-digit' }).format(toDate(v));
}

/** "Sat, Nov 21" */
export function formatDay(v: string | Date, tz: string): string {
  return dtf(tz, { weekday: 'short', month: 'short', day: 'numeric' }).format(toDate(v));
}

type Parts = { year: number; month: number; day: number; hour: number; minute: number; second: number };
function parts(d: Date, tz: string): Parts {
  const p: Record<string, string> = {};
  for (const x of dtf(tz, {
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(d))
    p[x.type] = x.value;
  return { year: +p.year!, month: +p.month!, day: +p.day!, hour: +p.hour!, minute: +p.minute!, second: +p.second! };
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
function offsetAt(utcMs: number, tz: string): number {
  const p = parts(new Date(utcMs), tz);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(utcMs / 1000) * 1000;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A wall-clock time in `tz` ("2026-11-21T19:30", as a datetime-local input gives it) → the instant. */
export function zonedToUtc(local: string, tz: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(local.trim());
  if (!m) return null;
  const wall = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  if (Number.isNaN(wall)) return null;
  // Two passes settle the offset around DST changes.
  let ts = wall - offsetAt(wall, tz);
  ts = wall - offsetAt(ts, tz);
  return new Date(ts);
}

/** An instant → the value of a datetime-local input in `tz` ("2026-11-21T19:30"). */
export function toLocalInput(v: string | Date, tz: string): string {
  const p = parts(toDate(v), tz);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/** An instant → "YYYY-MM-DD" in `tz`. */
export function toLocalDate(v: string | Date, tz: string): string {
  const p = parts(toDate(v), tz);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

const rtf = new Intl.RelativeTimeFormat('en-US', { numeric: 'auto' });
/** "in 3 days", "2 hours ago", "now". */
export function formatRelative(v: string | Date | null | undefined, now: Date): string {
  if (!v) return '—';
  const diff = toDate(v).getTime() - now.getTime();
  const abs = Math.abs(diff);
  const s = 1000,
    min = 60 * s,
    h = 60 * min,
    d = 24 * h;
  if (abs < 45 * s) return 'now';
  if (abs < 45 * min) return rtf.format(Math.round(diff / min), 'minute');
  if (abs < 22 * h) return rtf.format(Math.round(diff / h), 'hour');
  if (abs < 26 * d) return rtf.format(Math.round(diff / d), 'day');
  if (abs < 320 * d) return rtf.format(Math.round(diff / (30 * d)), 'month');
  return rtf.format(Math.round(diff / (365 * d)), 'year');
}

export const formatPercent = (ratio: number | null | undefined) =>
  ratio == null || !Number.isFinite(ratio) ? '—' : `${(ratio * 100).toFixed(ratio >= 0.995 || ratio === 0 ? 0 : 1)}%`;

export const formatNumber = (n: number | null | undefined) => (n == null ? '—' : new Intl.NumberFormat('en-US').format(n));

export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  return ((words[0]?.[0] ?? '') + (words.length > 1 ? (words.at(-1)?.[0] ?? '') : '')).toUpperCase() || '?';
}
