import { describe, expect, it } from 'vitest';
import {
  clientSpreadMinutes,
  InvalidWindowError,
  isTimeZone,
  NoOpenSlotError,
  nextOpenSlot,
  type SendingWindow,
  sendingWindow,
  stepSendTime,
  validateWindow,
} from './window.ts';

const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7];
const ny = sendingWindow({ time_zone: 'America/New_York' }); // Mon–Fri 09:00–17:00
/** Local wall clock of an instant, "YYYY-MM-DD HH:MM Www", read independently of window.ts. */
const wall = (instant: string, zone: string) => {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    })
      .formatToParts(new Date(instant))
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${p.weekday}`;
};
const plusMinutes = (instant: string, minutes: number) => new Date(Date.parse(instant) + minutes * 60_000).toISOString();

describe('nextOpenSlot', () => {
  it('given Mon–Fri 09:00–17:00 New York, when the instant is 02:00 local on a Tuesday, then it moves to 09:00 plus the spread that day', () => {
    expect(nextOpenSlot('2026-12-01T07:00:00.000Z', ny)).toBe('2026-12-01T14:00:00.000Z');
    expect(nextOpenSlot('2026-12-01T07:00:00.000Z', ny, 37)).toBe('2026-12-01T14:37:00.000Z');
  });

  it('given an instant inside the window, then it is kept to the millisecond', () => {
    expect(nextOpenSlot('2026-12-01T15:12:34.567Z', ny, 37)).toBe('2026-12-01T15:12:34.567Z');
  });

  it('given a Saturday, then Monday at window_start', () => {
    expect(wall('2026-11-28T15:00:00.000Z', 'America/New_York')).toBe('2026-11-28 10:00 Sat');
    const slot = nextOpenSlot('2026-11-28T15:00:00.000Z', ny, 5);
    expect(slot).toBe('2026-11-30T14:05:00.000Z');
    expect(wall(slot, 'America/New_York')).toBe('2026-11-30 09:05 Mon');
  });

  it('window_end is exclusive: 16:59:59.999 is inside, 17:00 moves to the next business day (Friday → Monday)', () => {
    expect(nextOpenSlot('2026-12-04T21:59:59.999Z', ny)).toBe('2026-12-04T21:59:59.999Z');
    expect(nextOpenSlot('2026-12-04T22:00:00.000Z', ny)).toBe('2026-12-07T14:00:00.000Z');
  });

  it('window_start is inclusive', () => {
    expect(nextOpenSlot('2026-12-01T14:00:00.000Z', ny)).toBe('2026-12-01T14:00:00.000Z');
  });

  it('given holidays on Thanksgiving and the Friday after, then Thursday evening moves to Monday', () => {
    const w = sendingWindow({ time_zone: 'America/New_York', holidays: ['2026-11-26', '2026-11-27'] });
    expect(nextOpenSlot('2026-11-25T23:00:00.000Z', w)).toBe('2026-11-30T14:00:00.000Z');
  });

  it('given a spread that does not fit in the window, then it refuses rather than send after window_end', () => {
    expect(() => nextOpenSlot('2026-12-01T07:00:00.000Z', ny, 480)).toThrow(RangeError);
  });

  it('given every business day of the next ten years a holiday, then NoOpenSlotError (never an endless loop)', () => {
    const holidays = new Set<string>();
    for (let t = Date.UTC(2026, 11, 1); t < Date.UTC(2037, 0, 1); t += 86_400_000) holidays.add(new Date(t).toISOString().slice(0, 10));
    const w: SendingWindow = { ...ny, businessDays: new Set([3]), holidays };
    expect(() => nextOpenSlot('2026-12-01T07:00:00.000Z', w)).toThrow(NoOpenSlotError);
  });

  describe('DST in America/New_York (all days open, 00:00–23:59)', () => {
    const allDay = sendingWindow({ time_zone: 'America/New_York', business_days: EVERY_DAY, window_start: '00:00', window_end: '23:59' });

    it('both 01:30s of 2026-11-01 are real instants inside the window and are kept', () => {
      expect(nextOpenSlot('2026-11-01T05:30:00.000Z', allDay)).toBe('2026-11-01T05:30:00.000Z'); // 01:30 EDT
      expect(nextOpenSlot('2026-11-01T06:30:00.000Z', allDay)).toBe('2026-11-01T06:30:00.000Z'); // 01:30 EST
    });

    it('a window starting inside the 2026-03-08 gap (02:30) opens at 03:30 EDT, the first real instant that far into the day', () => {
      const w = sendingWindow({ time_zone: 'America/New_York', business_days: EVERY_DAY, window_start: '02:30', window_end: '05:00' });
      const slot = nextOpenSlot('2026-03-08T05:00:00.000Z', w); // 00:00 EST
      expect(slot).toBe('2026-03-08T07:30:00.000Z');
      expect(wall(slot, 'America/New_York')).toBe('2026-03-08 03:30 Sun');
    });
  });
});

describe('stepSendTime', () => {
  it('given a step due at 02:00 in the client zone, then it is sent inside the window that morning (09:00 + the client spread)', () => {
    const spread = clientSpreadMinutes(CLIENT, ny);
    const at = stepSendTime({ enrolledAt: '2026-11-30T15:00:00.000Z', offsetDays: 1, timeOfDay: '02:00', window: ny, clientId: CLIENT });
    expect(at).toBe(plusMinutes('2026-12-01T14:00:00.000Z', spread));
    const local = wall(at, 'America/New_York');
    expect(local >= '2026-12-01 09:00' && local < '2026-12-01 17:00').toBe(true);
  });

  it('given a time of day inside the window, then exactly that local time', () => {
    expect(stepSendTime({ enrolledAt: '2026-11-30T15:00:00.000Z', offsetDays: 3, timeOfDay: '10:15', window: ny, clientId: CLIENT })).toBe(
      '2026-12-03T15:15:00.000Z',
    );
  });

  it('given no time of day, then window_start + the client spread on the due date', () => {
    const at = stepSendTime({ enrolledAt: '2026-11-30T15:00:00.000Z', offsetDays: 2, window: ny, clientId: CLIENT });
    expect(at).toBe(plusMinutes('2026-12-02T14:00:00.000Z', clientSpreadMinutes(CLIENT, ny)));
  });

  it('given offset 0 and the time of day already past at enrolment, then as soon as the window allows, never before enrolment', () => {
    // Enrolled Tuesday 14:20 New York; the step says 10:00 that day.
    expect(stepSendTime({ enrolledAt: '2026-12-01T19:20:00.000Z', offsetDays: 0, timeOfDay: '10:00', window: ny, clientId: CLIENT })).toBe(
      '2026-12-01T19:20:00.000Z',
    );
    // Enrolled Friday 18:00: after the window, so Monday.
    expect(stepSendTime({ enrolledAt: '2026-12-04T23:00:00.000Z', offsetDays: 0, timeOfDay: '10:00', window: ny, clientId: CLIENT })).toBe(
      plusMinutes('2026-12-07T14:00:00.000Z', clientSpreadMinutes(CLIENT, ny)),
    );
  });

  it('counts calendar days from the local enrolment date, not UTC: Thursday 23:00 in Los Angeles is Friday in UTC', () => {
    const la = sendingWindow({ time_zone: 'America/Los_Angeles', window_start: '09:00', window_end: '17:00' });
    const at = stepSendTime({ enrolledAt: '2026-07-03T06:00:00.000Z', offsetDays: 1, timeOfDay: '11:00', window: la, clientId: CLIENT });
    expect(wall(at, 'America/Los_Angeles')).toBe('2026-07-03 11:00 Fri');
    expect(at).toBe('2026-07-03T18:00:00.000Z');
  });

  it('given a holiday on the due date (Los Angeles, 2026-07-03), then it is skipped to the next business day', () => {
    const la = sendingWindow({ time_zone: 'America/Los_Angeles', holidays: ['2026-07-03'] });
    const at = stepSendTime({ enrolledAt: '2026-07-03T06:00:00.000Z', offsetDays: 1, timeOfDay: '11:00', window: la, clientId: CLIENT });
    expect(wall(at, 'America/Los_Angeles').slice(0, 10)).toBe('2026-07-06');
    expect(at).toBe(plusMinutes('2026-07-06T16:00:00.000Z', clientSpreadMinutes(CLIENT, la)));
  });

  it('east of UTC, half-hour offset: Asia/Kolkata (+05:30), 01:30 local is the previous day in UTC', () => {
    const kolkata = sendingWindow({ time_zone: 'Asia/Kolkata' });
    // Enrolled Tue 2026-06-02 01:30 IST = Mon 2026-06-01 20:00Z; Day 1 at 02:00 → Wed 09:00 IST + spread.
    const at = stepSendTime({
      enrolledAt: '2026-06-01T20:00:00.000Z',
      offsetDays: 1,
      timeOfDay: '02:00',
      window: kolkata,
      clientId: CLIENT,
    });
    expect(at).toBe(plusMinutes('2026-06-03T03:30:00.000Z', clientSpreadMinutes(CLIENT, kolkata)));
    expect(
      stepSendTime({ enrolledAt: '2026-06-01T20:00:00.000Z', offsetDays: 1, timeOfDay: '09:45', window: kolkata, clientId: CLIENT }),
    ).toBe('2026-06-03T04:15:00.000Z');
  });

  it('east of UTC across the date line: Pacific/Auckland Friday evening, Day 1 is Saturday → Monday 09:00 NZDT, which is Sunday in UTC', () => {
    const auckland = sendingWindow({ time_zone: 'Pacific/Auckland' });
    // Fri 2026-01-16 20:00 NZDT (+13) = 2026-01-16T07:00Z.
    const at = stepSendTime({
      enrolledAt: '2026-01-16T07:00:00.000Z',
      offsetDays: 1,
      timeOfDay: '10:00',
      window: auckland,
      clientId: CLIENT,
    });
    expect(at).toBe(plusMinutes('2026-01-18T20:00:00.000Z', clientSpreadMinutes(CLIENT, auckland)));
    expect(wall(at, 'Pacific/Auckland').slice(0, 10)).toBe('2026-01-19');
  });

  it("uses the client's own zone when it has one, else the agent's", () => {
    const chicagoAgent = sendingWindow({ time_zone: 'America/Chicago' });
    const base = { enrolledAt: '2026-12-01T15:00:00.000Z', offsetDays: 1, timeOfDay: '10:00', window: chicagoAgent, clientId: CLIENT };
    expect(stepSendTime(base)).toBe('2026-12-02T16:00:00.000Z'); // 10:00 CST
    expect(stepSendTime({ ...base, zone: 'Europe/Berlin' })).toBe('2026-12-02T09:00:00.000Z'); // 10:00 CET
    expect(stepSendTime({ ...base, zone: null })).toBe('2026-12-02T16:00:00.000Z');
  });

  describe('DST: a daily step in America/New_York keeps its local time of day', () => {
    const daily = sendingWindow({ time_zone: 'America/New_York', business_days: EVERY_DAY });

    it('across 2026-03-08 (clocks go forward), at a given time of day', () => {
      const times = [0, 1, 2, 3, 4].map((d) =>
        stepSendTime({ enrolledAt: '2026-03-06T05:00:00.000Z', offsetDays: d, timeOfDay: '09:30', window: daily, clientId: CLIENT }),
      );
      expect(times).toEqual([
        '2026-03-06T14:30:00.000Z', // Fri EST
        '2026-03-07T14:30:00.000Z', // Sat EST
        '2026-03-08T13:30:00.000Z', // Sun EDT: the UTC hour moves, the local one does not
        '2026-03-09T13:30:00.000Z',
        '2026-03-10T13:30:00.000Z',
      ]);
      expect(new Set(times.map((t) => wall(t, 'America/New_York').slice(11, 16)))).toEqual(new Set(['09:30']));
    });

    it('across 2026-11-01 (clocks go back), at the client spread', () => {
      const times = [0, 1, 2, 3].map((d) =>
        stepSendTime({ enrolledAt: '2026-10-31T04:00:00.000Z', offsetDays: d, window: daily, clientId: CLIENT }),
      );
      const spread = clientSpreadMinutes(CLIENT, daily);
      expect(times).toEqual([
        plusMinutes('2026-10-31T13:00:00.000Z', spread), // Sat 09:00 EDT + spread
        plusMinutes('2026-11-01T14:00:00.000Z', spread), // Sun 09:00 EST + spread
        plusMinutes('2026-11-02T14:00:00.000Z', spread),
        plusMinutes('2026-11-03T14:00:00.000Z', spread),
      ]);
      expect(new Set(times.map((t) => wall(t, 'America/New_York').slice(11, 16))).size).toBe(1);
    });

    it('a step at 02:30 on 2026-03-08 (a time that does not exist) goes at 03:30 EDT', () => {
      const w = sendingWindow({ time_zone: 'America/New_York', business_days: EVERY_DAY, window_start: '00:00', window_end: '23:59' });
      const at = stepSendTime({ enrolledAt: '2026-03-07T12:00:00.000Z', offsetDays: 1, timeOfDay: '02:30', window: w, clientId: CLIENT });
      expect(at).toBe('2026-03-08T07:30:00.000Z');
      expect(wall(at, 'America/New_York')).toBe('2026-03-08 03:30 Sun');
    });

    it('a step at 01:30 on 2026-11-01 (a time that happens twice) goes at the first one, 01:30 EDT', () => {
      const w = sendingWindow({ time_zone: 'America/New_York', business_days: EVERY_DAY, window_start: '00:00', window_end: '23:59' });
      const at = stepSendTime({ enrolledAt: '2026-10-31T12:00:00.000Z', offsetDays: 1, timeOfDay: '01:30', window: w, clientId: CLIENT });
      expect(at).toBe('2026-11-01T05:30:00.000Z');
      // The other 01:30 (EST) exists an hour later; it is the one not chosen.
      expect(wall(plusMinutes(at, 60), 'America/New_York')).toBe('2026-11-01 01:30 Sun');
    });
  });

  it('every day of 2026, in zones with hour, half-hour and no DST, a 10:00 step reads 10:00 on its own local date', () => {
    const zones = ['America/New_York', 'Pacific/Auckland', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Santiago', 'Europe/London'];
    const wrong: string[] = [];
    for (const zone of zones) {
      const w = sendingWindow({ time_zone: zone, business_days: EVERY_DAY, window_start: '00:00', window_end: '23:59' });
      // The enrolment's local date differs by zone (Auckland is already on the 31st).
      const enrolledAt = '2025-12-30T12:00:00.000Z';
      const [y, m, day] = wall(enrolledAt, zone).slice(0, 10).split('-').map(Number) as [number, number, number];
      for (let d = 1; d <= 365; d++) {
        const at = stepSendTime({ enrolledAt, offsetDays: d, timeOfDay: '10:00', window: w, clientId: CLIENT });
        const expected = `${new Date(Date.UTC(y, m - 1, day + d)).toISOString().slice(0, 10)} 10:00`;
        if (wall(at, zone).slice(0, 16) !== expected) wrong.push(`${zone} ${expected} → ${at}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('refuses a negative or fractional offset, a malformed time of day and an unknown client zone', () => {
    const base = { enrolledAt: '2026-12-01T15:00:00.000Z', offsetDays: 1, window: ny, clientId: CLIENT };
    expect(() => stepSendTime({ ...base, offsetDays: -1 })).toThrow(RangeError);
    expect(() => stepSendTime({ ...base, offsetDays: 1.5 })).toThrow(RangeError);
    expect(() => stepSendTime({ ...base, timeOfDay: '25:00' })).toThrow(RangeError);
    expect(() => stepSendTime({ ...base, zone: 'Mars/Olympus_Mons' })).toThrow(InvalidWindowError);
  });
});

describe('clientSpreadMinutes', () => {
  it('is deterministic per client and differs between clients', () => {
    expect(clientSpreadMinutes(CLIENT, ny)).toBe(clientSpreadMinutes(CLIENT, ny));
    const other = '0190a000-0000-7000-8000-0000000000c2';
    const some = ['c3', 'c4', 'c5', 'c6'].map((s) => clientSpreadMinutes(`0190a000-0000-7000-8000-0000000000${s}`, ny));
    expect(new Set([clientSpreadMinutes(CLIENT, ny), clientSpreadMinutes(other, ny), ...some]).size).toBeGreaterThan(1);
  });

  it('given 500 sequential client ids and a 480-minute window, then every send lands inside the window and no minute gets a crowd', () => {
    const minutes = Array.from({ length: 500 }, (_, i) =>
      clientSpreadMinutes(`0190a000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`, ny),
    );
    expect(minutes.every((m) => Number.isInteger(m) && m >= 0 && m < 480)).toBe(true);
    const perMinute = new Map<number, number>();
    for (const m of minutes) perMinute.set(m, (perMinute.get(m) ?? 0) + 1);
    expect(perMinute.size).toBeGreaterThan(250); // uniform would give ~310 distinct minutes
    expect(Math.max(...perMinute.values())).toBeLessThanOrEqual(8);
  });

  it('given a one-minute window, then every client gets minute 0', () => {
    expect(clientSpreadMinutes(CLIENT, { startMinute: 540, endMinute: 541 })).toBe(0);
  });
});

describe('validateWindow', () => {
  it('given the defaults and a known zone, then no issues', () => {
    expect(validateWindow({ time_zone: 'America/Chicago' })).toEqual([]);
    expect(
      validateWindow({ time_zone: 'UTC', business_days: [7, 6], window_start: '00:00', window_end: '23:59', holidays: ['2028-02-29'] }),
    ).toEqual([]);
  });

  it('given every kind of bad input, then one issue per problem as a JSON pointer', () => {
    expect(
      validateWindow({
        time_zone: 'Mars/Olympus_Mons',
        business_days: [1, 0, 8, 2.5, 1],
        window_start: '9:00',
        window_end: '24:00',
        holidays: ['2026-02-30', '2026-12-25', '25/12/2026', 20261225],
      }).map((i) => i.pointer),
    ).toEqual([
      '/time_zone',
      '/business_days/1',
      '/business_days/2',
      '/business_days/3',
      '/business_days/4',
      '/window_start',
      '/window_end',
      '/holidays/0',
      '/holidays/2',
      '/holidays/3',
    ]);
  });

  it('given a window that ends before or when it starts, then /window_end', () => {
    expect(validateWindow({ time_zone: 'UTC', window_start: '17:00', window_end: '09:00' })).toEqual([
      { pointer: '/window_end', detail: 'must be later than window_start on the same day' },
    ]);
    expect(validateWindow({ time_zone: 'UTC', window_start: '09:00', window_end: '09:00' }).map((i) => i.pointer)).toEqual(['/window_end']);
  });

  it('given no business days (every day closed), then /business_days, and sendingWindow throws with the issues', () => {
    expect(validateWindow({ time_zone: 'UTC', business_days: [] })).toEqual([
      { pointer: '/business_days', detail: 'must name at least one day' },
    ]);
    let thrown: unknown;
    try {
      sendingWindow({ time_zone: 'UTC', business_days: [] });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(InvalidWindowError);
    expect((thrown as InvalidWindowError).issues.map((i) => i.pointer)).toEqual(['/business_days']);
  });

  it('given a missing zone, non-list fields or an offset zone, then issues rather than a crash', () => {
    expect(validateWindow({}).map((i) => i.pointer)).toEqual(['/time_zone']);
    expect(validateWindow({ time_zone: '+05:30', business_days: '1-5', holidays: null }).map((i) => i.pointer)).toEqual([
      '/time_zone',
      '/business_days',
      '/holidays',
    ]);
  });

  it('isTimeZone knows IANA names and refuses garbage', () => {
    expect(['UTC', 'Asia/Kolkata', 'Pacific/Auckland', 'America/Los_Angeles'].every(isTimeZone)).toBe(true);
    expect([undefined, '', 'Nowhere/City', '+01:00', 42].some(isTimeZone)).toBe(false);
  });
});
