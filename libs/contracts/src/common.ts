import { Type, type StringOptions } from '@sinclair/typebox';

export const Uuid = Type.String({ format: 'uuid' });
export const Timestamp = Type.String({ format: 'date-time' });
/**
 * Free text from people (names, notes, custom fields…): format `text` refuses NUL and lone
 * surrogates, which Postgres cannot store; every text field of an input uses it.
 */
export const Text = (opts: StringOptions = {}) => Type.String({ ...opts, format: 'text' });
export const Email = Type.String({ format: 'email', maxLength: 254 });
/** Free-form custom fields an agent keeps on a client (flat, small). */
export const CustomFields = Type.Record(
  Type.String({ maxLength: 64 }),
  Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean(), Type.Null()]),
);
/** An IANA time zone name ("America/Chicago"); offset zones are refused. */
export const TimeZone = Type.String({ format: 'time-zone', maxLength: 64 });
/** A local wall-clock time "HH:MM". */
export const TimeOfDay = Type.String({ format: 'time-of-day', maxLength: 5 });
/** A local calendar date "YYYY-MM-DD". */
export const LocalDate = Type.String({ format: 'local-date', maxLength: 10 });
