/**
 * The settings form (sending window, time zone, cap; review by default, signature, postal
 * address), as the inputs hold it, and the PATCH /api/settings body it becomes. Values pass as
 * typed: the gateway validates them (an unknown zone, a window that ends before it starts, a
 * cap of 0, a signature too long) and its pointers come back inline.
 */
export const SETTINGS_FIELDS = [
  'time_zone',
  'business_days',
  'window_start',
  'window_end',
  'holidays',
  'daily_cap',
  'review_by_default',
  'signature',
  'postal_address',
] as const;
export type SettingsValues = {
  time_zone: string;
  business_days: number[];
  window_start: string;
  window_end: string;
  /** One date per line. */
  holidays: string;
  daily_cap: string;
  review_by_default: boolean;
  /** '' → none (null). */
  signature: string;
  /** '' → none (null). */
  postal_address: string;
};
type SettingsLike = {
  time_zone: string;
  business_days: readonly number[];
  window_start: string;
  window_end: string;
  holidays: readonly string[];
  daily_cap: number;
  review_by_default: boolean;
  signature: string | null;
  postal_address: string | null;
};

export function valuesOf(s: SettingsLike): SettingsValues {
  return {
    time_zone: s.time_zone,
    business_days: [...s.business_days].sort((a, b) => a - b),
    window_start: s.window_start,
    window_end: s.window_end,
    holidays: s.holidays.join('\n'),
    daily_cap: String(s.daily_cap),
    review_by_default: s.review_by_default,
    signature: s.signature ?? '',
    postal_address: s.postal_address ?? '',
  };
}

const text = (data: FormData, name: string) => {
  const v = data.get(name);
  return typeof v === 'string' ? v.trim() : '';
};

/** A textarea: browsers post its line ends as CRLF; kept as `\n`. */
const lines = (data: FormData, name: string) => text(data, name).replace(/\r\n?/g, '\n');

export function readSettingsForm(data: FormData): SettingsValues {
  const days = data
    .getAll('business_days')
    .map((v) => Number(v))
    .filter((n) => Number.isInteger(n) && n >= 1 && n <= 7);
  return {
    time_zone: text(data, 'time_zone'),
    business_days: [...new Set(days)].sort((a, b) => a - b),
    window_start: text(data, 'window_start'),
    window_end: text(data, 'window_end'),
    holidays: text(data, 'holidays'),
    daily_cap: text(data, 'daily_cap'),
    // A checkbox left unticked sends nothing.
    review_by_default: data.get('review_by_default') !== null,
    signature: lines(data, 'signature'),
    postal_address: lines(data, 'postal_address'),
  };
}

/** The holidays box, one date per line (blank lines and repeats dropped). */
export const holidayLines = (v: string): string[] => [
  ...new Set(
    v
      .split(/[\n,]+/)
      .map((l) => l.trim())
      .filter(Boolean),
  ),
];

export function settingsBody(v: SettingsValues): Record<string, unknown> {
  return {
    time_zone: v.time_zone,
    business_days: v.business_days,
    window_start: v.window_start,
    window_end: v.window_end,
    holidays: holidayLines(v.holidays),
    daily_cap: /^\d{1,9}$/.test(v.daily_cap) ? Number(v.daily_cap) : v.daily_cap,
    review_by_default: v.review_by_default,
    signature: v.signature || null,
    postal_address: v.postal_address || null,
  };
}
