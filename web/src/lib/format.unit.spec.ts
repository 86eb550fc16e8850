import { describe, expect, it } from 'vitest';
import { formatPercent, formatRelative, initials, isValidTimeZone, toLocalDate, toLocalInput, zonedToUtc } from './format.ts';

describe('wall-clock times in the agent’s zone', () => {
  it('reads a datetime-local value in the given zone', () => {
    expect(zonedToUtc('2026-11-21T19:30', 'America/New_York')?.toISOString()).toBe('2026-11-22T00:30:00.000Z');
    expect(zonedToUtc('2026-07-01T09:00', 'Europe/Paris')?.toISOString()).toBe('2026-07-01T07:00:00.000Z');
    expect(zonedToUtc('2026-07-01T09:00', 'UTC')?.toISOString()).toBe('2026-07-01T09:00:00.000Z');
  });

  it('handles both sides of a DST change', () => {
    // New York leaves DST on 2026-11-01 at 02:00 local.
    expect(zonedToUtc('2026-10-31T12:00', 'America/New_York')?.toISOString()).toBe('2026-10-31T16:00:00.000Z');
    expect(zonedToUtc('2026-11-02T12:00', 'America/New_York')?.toISOString()).toBe('2026-11-02T17:00:00.000Z');
  });

  it('round-trips through the input format', () => {
    for (const tz of ['America/Los_Angeles', 'Asia/Kolkata', 'Australia/Sydney', 'UTC']) {
      const local = toLocalInput('2026-03-15T13:45:00.000Z', tz);
      expect(zonedToUtc(local, tz)?.toISOString()).toBe('2026-03-15T13:45:00.000Z');
    }
    expect(toLocalDate('2026-11-22T03:00:00Z', 'America/New_York')).toBe('2026-11-21');
  });

  it('rejects what is not a date', () => {
    expect(zonedToUtc('', 'UTC')).toBeNull();
    expect(zonedToUtc('tomorrow', 'UTC')).toBeNull();
    expect(isValidTimeZone('Not/AZone')).toBe(false);
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
  });
});

describe('people-friendly figures', () => {
  const now = new Date('2026-11-21T12:00:00Z');
  it('relative times', () => {
    expect(formatRelative('2026-11-21T11:59:50Z', now)).toBe('now');
    expect(formatRelative('2026-11-21T11:30:00Z', now)).toBe('30 minutes ago');
    expect(formatRelative('2026-11-24T12:00:00Z', now)).toBe('in 3 days');
    expect(formatRelative('2026-11-20T12:00:00Z', now)).toBe('yesterday');
    expect(formatRelative(null, now)).toBe('—');
  });
  it('percentages and initials', () => {
    expect(formatPercent(0.4321)).toBe('43.2%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(1)).toBe('100%');
    expect(initials('Maria del Carmen Gonzalez')).toBe('MG');
    expect(initials('Cher')).toBe('C');
  });
});
