import { FormatRegistry } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):?(\d{2}))$/;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * A date-time that names a real instant: RFC 3339 syntax and every field in range, so
 * `2026-02-30`, second 60 (leap seconds) and hour 24 are refused here rather than turning
 * into an invalid or silently shifted `Date` further in (V8 reads Feb 30 as Mar 2).
 */
export function isInstant(v: string): boolean {
  const m = DATE_TIME.exec(v);
  if (!m) return false;
  const [y, mo, d, h, mi, s, oh, om] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as number[];
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > daysIn(y!, mo!)) return false;
  if (h! > 23 || mi! > 59 || s! > 59 || oh! > 23 || om! > 59) return false;
  return !Number.isNaN(Date.parse(v));
}

/**
 * Text that Postgres (text and jsonb) and JSON can store as sent: no NUL, and no lone UTF-16
 * surrogate (JSON.stringify escapes it, jsonb refuses it, a text column would silently turn
 * it into U+FFFD). Pairs (emoji) are fine.
 */
export const isStorableText = (v: string): boolean => !v.includes('\u0000') && v.isWellFormed();

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const YYYY_MM_DD = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date "YYYY-MM-DD" that exists (no Feb 30). */
export function isLocalDate(v: string): boolean {
  const m = YYYY_MM_DD.exec(v);
  if (!m) return false;
  const [y, mo, d] = m.slice(1).map(Number) as [number, number, number];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(y, mo);
}

const knownZones = new Map<string, boolean>();
/**
 * An IANA time zone name this runtime knows ("UTC" included). Offset zones such as "+05:30"
 * are refused: they have no DST rules and are not IANA names.
 */
export function isTimeZoneName(v: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(v)) return false;
  let known = knownZones.get(v);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: v });
      known = true;
    } catch {
      known = false;
    }
    if (knownZones.size < 1000) knownZones.set(v, known);
  }
  return known;
}

/**
 * The string formats our schemas use, one definition for both validators: TypeBox (services,
 * events) registers them below; the gateway's ajv registers the same functions, overriding
 * ajv-formats where it is looser (its date-time accepts second 60).
 */
export const FORMATS: Record<string, (v: string) => boolean> = {
  uuid: (v) => UUID.test(v),
  email: (v) => EMAIL.test(v),
  'date-time': isInstant,
  text: isStorableText,
  'time-zone': isTimeZoneName,
  'time-of-day': (v) => HH_MM.test(v),
  'local-date': isLocalDate,
};
for (const [name, check] of Object.entries(FORMATS)) if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check);

/** What a value of each of our own formats must be, in words (validation details). */
export const FORMAT_DETAILS: Record<string, string> = {
  'time-zone': 'must be a known IANA time zone, e.g. "America/Chicago"',
  'time-of-day': 'must be a time "HH:MM" (00:00–23:59)',
  'local-date': 'must be a real date "YYYY-MM-DD"',
};

export type SchemaIssue = { pointer: string; detail: string };

/**
 * Each schema compiled once into a checker function: every event read is validated, and
 * `Value.Check` (an interpreter walking the schema) was most of the cost of decoding one.
 * A schema the compiler cannot take (none today) is checked by `Value.Check` instead.
 */
const compiled = new WeakMap<TSchema, TypeCheck<TSchema> | null>();
function check(schema: TSchema, value: unknown): boolean {
  let checker = compiled.get(schema);
  if (checker === undefined) {
    try {
      checker = TypeCompiler.Compile(schema);
    } catch {
      checker = null;
    }
    compiled.set(schema, checker);
  }
  return checker ? checker.Check(value) : Value.Check(schema, value);
}

/** Validates a value against a schema; returns RFC 9457-style pointers, empty when valid. */
export function schemaIssues(schema: TSchema, value: unknown): SchemaIssue[] {
  if (check(schema, value)) return [];
  return [...Value.Errors(schema, value)].slice(0, 20).map((e) => {
    const allowed = (e.schema as { enum?: unknown[] }).enum;
    const format = (e.schema as { format?: string }).format ?? '';
    const detail = allowed
      ? `must be one of: ${allowed.join(', ')}`
      : (e.schema as { format?: string }).format === 'text'
        ? 'must not contain NUL characters or unpaired surrogates'
        : (e.schema as { format?: string }).format === 'date-time'
          ? 'must be a real date and time (RFC 3339, e.g. 2026-06-30T23:59:59Z)'
          : (FORMAT_DETAILS[format] ?? e.message);
    return { pointer: e.path || '/', detail };
  });
}
