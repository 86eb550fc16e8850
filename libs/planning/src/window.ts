// The sending window (issue 8): when a planned step may go out, computed in the client's time
// zone. Pure: no I/O, no clock; instants in and out are ISO-8601 strings like the events'.
//
// Why wall-clock arithmetic on local calendar dates rather than adding 86,400,000 ms: a daily
// step must keep its local time of day across a DST change (09:30 stays 09:30, the UTC hour
// moves). Zone offsets come from Intl.DateTimeFormat (Temporal is not in Node 24).

import { isTimeZoneName } from '@realtoros/contracts';

/** Agent settings as the API carries them (ARCHITECTURE.md §10). */
export type WindowSettings = {
  time_zone: string;
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  business_days: readonly number[];
  /** "HH:MM" local, inclusive. */
  window_start: string;
  /** "HH:MM" local, exclusive; after window_start on the same day (no overnight windows). */
  window_end: string;
  /** "YYYY-MM-DD" local dates on which nothing is sent. */
  holidays: readonly string[];
};

/** Defaults for everything but the zone, which the agent's settings always carry. */
export const DEFAULT_WINDOW: Omit<WindowSettings, 'time_zone'> = {
  business_days: [1, 2, 3, 4, 5],
  window_start: '09:00',
  window_end: '17:00',
  holidays: [],
};

/** A validated window, ready to compute with. Build it with `sendingWindow`. */
export type SendingWindow = {
  zone: string;
  businessDays: ReadonlySet<number>;
  /** Minutes after local midnight: [startMinute, endMinute). */
  startMinute: number;
  endMinute: number;
  holidays: ReadonlySet<string>;
};

/** Same shape as the gateway's problem-details `errors` entries. */
export type WindowIssue = { pointer: string; detail: string };

export class InvalidWindowError extends Error {
  override readonly name = 'InvalidWindowError';
  readonly issues: WindowIssue[];
  constructor(issues: WindowIssue[]) {
    super(`invalid sending window: ${issues.map((i) => `${i.pointer} ${i.detail}`).join('; ')}`);
    this.issues = issues;
  }
}

/** No open slot within the search horizon (every business day a holiday). */
export class NoOpenSlotError extends Error {
  override readonly name = 'NoOpenSlotError';
}

const DAY = 86_400_000;
/** How far nextOpenSlot looks: ten years of days. Only holidays can exhaust it. */
const SEARCH_DAYS = 3_660;
const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const YYYY_MM_DD = /^(\d{4})-(\d{2})-(\d{2})$/;

// ---------------------------------------------------------------------------------------
// Validation

/** True when `zone` is an IANA time zone name this runtime knows ("UTC" included). */
export function isTimeZone(zone: unknown): zone is string {
  // One definition with the contracts' `time-zone` format, so the API and the planner agree
  // (offset zones such as "+05:30" are refused there: no DST rules, not IANA names).
  return typeof zone === 'string' && isTimeZoneName(zone);
}

/**
 * Issues as JSON pointers into the settings; empty when valid. Missing window fields take
 * DEFAULT_WINDOW (the gateway validates the merged settings); the zone is required.
 */
export function validateWindow(settings: Partial<Record<keyof WindowSettings, unknown>>): WindowIssue[] {
  const issues: WindowIssue[] = [];
  const s = { ...DEFAULT_WINDOW, ...stripUndefined(settings) };

  if (!isTimeZone(s.time_zone)) issues.push({ pointer: '/time_zone', detail: 'must be a known IANA time zone, e.g. "America/Chicago"' });

  const days: unknown = s.business_days;
  if (!Array.isArray(days)) {
    issues.push({ pointer: '/business_days', detail: 'must be a list of ISO weekdays (1 = Monday … 7 = Sunday)' });
  } else {
    if (days.length === 0) issues.push({ pointer: '/business_days', detail: 'must name at least one day' });
    days.forEach((d: unknown, i: number) => {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 7) {
        issues.push({ pointer: `/business_days/${i}`, detail: 'must be an ISO weekday from 1 (Monday) to 7 (Sunday)' });
      } else if (days.indexOf(d) !== i) {
        issues.push({ pointer: `/business_days/${i}`, detail: 'is listed twice' });
      }
    });
  }

  const start = parseTime(s.window_start);
  const end = parseTime(s.window_end);
  if (start === null) issues.push({ pointer: '/window_start', detail: 'must be a time "HH:MM" (00:00–23:59)' });
  if (end === null) issues.push({ pointer: '/window_end', detail: 'must be a time "HH:MM" (00:00–23:59)' });
  // Overnight windows are refused: a slot's local date must be the day it opens on, or
  // business days and holidays would be ambiguous.
  if (start !== null && end !== null && end <= start) {
    issues.push({ pointer: '/window_end', detail: 'must be later than window_start on the same day' });
  }

  const holidays: unknown = s.holidays;
  if (!Array.isArray(holidays)) {
    issues.push({ pointer: '/holidays', detail: 'must be a list of dates "YYYY-MM-DD"' });
  } else {
    holidays.forEach((h: unknown, i: number) => {
      if (parseDate(h) === null) issues.push({ pointer: `/holidays/${i}`, detail: 'must be a real date "YYYY-MM-DD"' });
    });
  }
  return issues;
}

/** Validates and compiles settings; throws InvalidWindowError listing every issue. */
export function sendingWindow(settings: Partial<WindowSettings> & Pick<WindowSettings, 'time_zone'>): SendingWindow {
  const issues = validateWindow(settings);
  if (issues.length > 0) throw new InvalidWindowError(issues);
  const s = { ...DEFAULT_WINDOW, ...stripUndefined(settings) } as WindowSettings;
  return {
    zone: s.time_zone,
    businessDays: new Set(s.business_days),
    startMinute: parseTime(s.window_start)!,
    endMinute: parseTime(s.window_end)!,
    holidays: new Set(s.holidays),
  };
}

// ---------------------------------------------------------------------------------------
// Computation

/**
 * A client's deterministic place in the window, in minutes after window_start: a hash of the
 * client id, so 500 clients planned at once spread over the day instead of all going at
 * 09:00:00, and replanning the same client lands on the same minute. Always < window length.
 */
export function clientSpreadMinutes(clientId: string, window: Pick<SendingWindow, 'startMinute' | 'endMinute'>): number {
  // FNV-1a (32-bit): tiny, stable across runs and platforms, well mixed for uuid-like ids.
  let h = 0x811c9dc5;
  for (let i = 0; i < clientId.length; i++) {
    h ^= clientId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // murmur3's finaliser: FNV's low bits barely change between sequential ids (…c1, …c2), and
  // the modulo below reads mostly low bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % (window.endMinute - window.startMinute);
}

/**
 * The first instant ≥ `instant` on a business day, not a holiday, inside
 * [window_start, window_end) in the window's zone. An instant already inside is returned as is;
 * one before the window moves to window_start + `spreadMinutes`; one at or after window_end
 * moves to the next open day at window_start + `spreadMinutes`.
 */
export function nextOpenSlot(instant: string, window: SendingWindow, spreadMinutes = 0): string {
  const at = parseInstant(instant);
  if (spreadMinutes < 0 || spreadMinutes >= window.endMinute - window.startMinute) {
    throw new RangeError(`spreadMinutes ${spreadMinutes} is outside the window`);
  }
  let day = localDate(at, window.zone);
  for (let i = 0; i < SEARCH_DAYS; i++, day = addDays(day, 1)) {
    if (!isOpenDay(day, window)) continue;
    const clock = dayClock(day, window.zone);
    if (at < clock(window.startMinute)) return iso(clock(window.startMinute + spreadMinutes));
    if (at < clock(window.endMinute)) return iso(at);
  }
  throw new NoOpenSlotError(`no open slot within ${SEARCH_DAYS} days after ${instant} in ${window.zone}`);
}

export type StepTiming = {
  /** When the client was enrolled (ISO instant). */
  enrolledAt: string;
  /** Whole calendar days after the enrolment's local date (≥ 0). */
  offsetDays: number;
  /** "HH:MM" local; absent → the client's spread minute in the window. */
  timeOfDay?: string | null | undefined;
  /** The client's own IANA zone; absent → the window's (the agent's). */
  zone?: string | null | undefined;
  window: SendingWindow;
  clientId: string;
};

/**
 * The instant a planned step should go: the enrolment's local date in the client's zone plus
 * `offsetDays` calendar days, at `timeOfDay` (or window_start + the client's spread), never
 * before the enrolment itself, then moved into the next open slot in the client's zone.
 * Business days and holidays are read as local dates in the client's zone.
 */
export function stepSendTime(step: StepTiming): string {
  return stepTimes(step).scheduled;
}

/** Both times of a step in one pass: where it was planned, and where the window puts it. */
export function stepTimes(step: StepTiming): { planned: string; scheduled: string } {
  const planned = plannedStepTime(step); // validates offset, zone and time first
  const window: SendingWindow = { ...step.window, zone: step.zone ?? step.window.zone };
  return { planned, scheduled: nextOpenSlot(planned, window, clientSpreadMinutes(step.clientId, window)) };
}

/**
 * The instant a planned step falls on *before* the window moves it: the enrolment's local
 * date in the client's zone plus `offsetDays`, at `timeOfDay` (or window_start + the client's
 * spread), never before the enrolment. Exposed so a task's timing can record where the step
 * was planned and the trail can say "moved from Sat 02:14 to Mon 09:37 by the sending window".
 */
export function plannedStepTime(step: StepTiming): string {
  if (!Number.isInteger(step.offsetDays) || step.offsetDays < 0)
    throw new RangeError(`offsetDays must be an integer ≥ 0, got ${step.offsetDays}`);
  const zone = step.zone ?? step.window.zone;
  if (!isTimeZone(zone)) throw new InvalidWindowError([{ pointer: '/time_zone', detail: `unknown time zone "${zone}"` }]);
  let minute = step.window.startMinute + clientSpreadMinutes(step.clientId, step.window);
  if (step.timeOfDay != null) {
    const t = parseTime(step.timeOfDay);
    if (t === null) throw new RangeError(`timeOfDay must be "HH:MM", got "${step.timeOfDay}"`);
    minute = t;
  }
  const enrolled = parseInstant(step.enrolledAt);
  const day = addDays(localDate(enrolled, zone), step.offsetDays);
  // A same-day step whose time has passed goes as soon as the window allows, not a day late
  // and never before the client existed.
  return iso(Math.max(dayClock(day, zone)(minute), enrolled));
}

/** The local calendar date of an instant in a zone, "YYYY-MM-DD" (e.g. the daily cap's day key). */
export function localDateOf(instant: string, zone: string): string {
  return dateKey(localDate(parseInstant(instant), zone));
}

/**
 * The instant a local wall time names in a zone ("2026-03-08", "02:30" → 07:30Z: DST gaps and
 * overlaps resolved as in `localToInstant`). One place for wall-clock → instant arithmetic.
 */
export function zonedInstant(date: string, time: string, zone: string): string {
  const day = parseDate(date);
  const minute = parseTime(time);
  if (day === null) throw new RangeError(`not a date "YYYY-MM-DD": "${date}"`);
  if (minute === null) throw new RangeError(`not a time "HH:MM": "${time}"`);
  return iso(dayClock(day, zone)(minute));
}

/** Local midnight of the day after the instant's local date (a DST day's midnight included). */
export function startOfNextLocalDay(instant: string, zone: string): string {
  const next = addDays(localDate(parseInstant(instant), zone), 1);
  return iso(dayClock(next, zone)(0));
}

// ---------------------------------------------------------------------------------------
// Local dates and zone offsets

/** A calendar date with no zone. */
type LocalDate = { y: number; m: number; d: number };

// Building an Intl.DateTimeFormat costs far more than using one; planning calls this per step.
// A memo keyed by zone is pure (same zone → an equivalent formatter) and bounded by the zones in use.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Wall-clock fields of an instant in a zone, as if they were UTC (epoch ms, whole seconds). */
function wallAsUtc(ms: number, zone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
}

/** The zone's UTC offset in ms at an instant (local = UTC + offset). */
function offsetAt(ms: number, zone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallAsUtc(whole, zone) - whole;
}

function localDate(ms: number, zone: string): LocalDate {
  const w = new Date(wallAsUtc(ms, zone));
  return { y: w.getUTCFullYear(), m: w.getUTCMonth() + 1, d: w.getUTCDate() };
}

/**
 * The instant of a local wall time. DST, defined like Temporal's "compatible":
 * - overlap (01:30 on 2026-11-01 in New York happens twice): the earlier one (01:30 EDT);
 * - gap (02:30 on 2026-03-08 in New York does not exist): read with the offset before the
 *   gap, which lands as far past it as the time was into it (03:30 EDT).
 * Offsets are sampled a day either side, which covers any zone's offset (±14 h).
 */
function localToInstant(day: LocalDate, minuteOfDay: number, zone: string): number {
  const wall = Date.UTC(day.y, day.m - 1, day.d, 0, minuteOfDay);
  const before = offsetAt(wall - DAY, zone);
  const after = offsetAt(wall + DAY, zone);
  const fits = [wall - before, wall - after].filter((t) => t + offsetAt(t, zone) === wall).sort((a, b) => a - b);
  return fits[0] ?? wall - before;
}

/**
 * Local minute-of-day → instant for one date. Why: each offset lookup is a formatToParts call
 * (microseconds), and planning 100,000 enrolments asks for several per step. On almost every
 * date the offset is the same from a day before to a day after it, so one subtraction serves
 * every minute of that date; only around a transition do we take the careful path.
 */
function dayClock(day: LocalDate, zone: string): (minuteOfDay: number) => number {
  const midnight = Date.UTC(day.y, day.m - 1, day.d);
  const offset = steadyOffset(midnight, zone);
  if (offset !== null) return (minuteOfDay) => midnight + minuteOfDay * 60_000 - offset;
  return (minuteOfDay) => localToInstant(day, minuteOfDay, zone);
}

// (zone, date) → the date's steady offset, or null near a transition. Many clients share a
// date, so this memo turns most lookups into a Map hit; pure (tz rules don't change while the
// process runs) and cleared when large, so a long-lived planner cannot grow it without bound.
const steadyOffsets = new Map<string, number | null>();
function steadyOffset(midnight: number, zone: string): number | null {
  const key = `${zone} ${midnight}`;
  let offset = steadyOffsets.get(key);
  if (offset === undefined) {
    const before = offsetAt(midnight - DAY, zone);
    offset = before === offsetAt(midnight + 2 * DAY, zone) ? before : null;
    if (steadyOffsets.size >= 100_000) steadyOffsets.clear();
    steadyOffsets.set(key, offset);
  }
  return offset;
}

function addDays(day: LocalDate, n: number): LocalDate {
  const t = new Date(Date.UTC(day.y, day.m - 1, day.d + n));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

function isOpenDay(day: LocalDate, window: SendingWindow): boolean {
  const js = new Date(Date.UTC(day.y, day.m - 1, day.d)).getUTCDay(); // 0 = Sunday
  const isoWeekday = js === 0 ? 7 : js;
  return window.businessDays.has(isoWeekday) && !window.holidays.has(dateKey(day));
}

function dateKey(day: LocalDate): string {
  return `${String(day.y).padStart(4, '0')}-${String(day.m).padStart(2, '0')}-${String(day.d).padStart(2, '0')}`;
}

/** "HH:MM" → minutes after midnight, or null. */
function parseTime(value: unknown): number | null {
  const m = typeof value === 'string' ? HH_MM.exec(value) : null;
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** "YYYY-MM-DD" that names a real date (no 2026-02-30), or null. */
function parseDate(value: unknown): LocalDate | null {
  const m = typeof value === 'string' ? YYYY_MM_DD.exec(value) : null;
  if (!m) return null;
  const day = { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) };
  return dateKey(addDays(day, 0)) === value ? day : null;
}

function parseInstant(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`not an instant: "${value}"`);
  return ms;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
