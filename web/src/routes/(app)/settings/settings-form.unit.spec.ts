import { describe, expect, it } from 'vitest';
import { readSettingsForm, settingsBody, valuesOf } from './settings-form.ts';

describe('the settings form', () => {
  it('reads the checkboxes and the boxes into the PATCH body', () => {
    const f = new FormData();
    f.set('time_zone', ' America/Chicago ');
    for (const d of ['5', '1', '3', '9', '1']) f.append('business_days', d);
    f.set('window_start', '08:30');
    f.set('window_end', '18:00');
    f.set('holidays', '2026-12-25\n\n 2027-01-01 \n2026-12-25');
    f.set('daily_cap', '40');
    f.set('review_by_default', 'on');
    f.set('signature', ' Jane Doe\r\nAcme Realty \n');
    f.set('postal_address', '100 Main St\r\nSpringfield, IL 62701');
    expect(settingsBody(readSettingsForm(f))).toEqual({
      time_zone: 'America/Chicago',
      business_days: [1, 3, 5],
      window_start: '08:30',
      window_end: '18:00',
      holidays: ['2026-12-25', '2027-01-01'],
      daily_cap: 40,
      review_by_default: true,
      signature: 'Jane Doe\nAcme Realty',
      postal_address: '100 Main St\nSpringfield, IL 62701',
    });
  });
  it('an unticked box is false; empty (or blank) textareas clear to null', () => {
    const f = new FormData();
    f.set('signature', '');
    f.set('postal_address', '  \r\n ');
    const body = settingsBody(readSettingsForm(f));
    expect(body.review_by_default).toBe(false);
    expect(body.signature).toBeNull();
    expect(body.postal_address).toBeNull();
    // Not in the post at all: still null, not undefined (the PATCH clears them).
    const none = settingsBody(readSettingsForm(new FormData()));
    expect(none).toMatchObject({ review_by_default: false, signature: null, postal_address: null });
  });
  it('passes what isn’t a number as typed, for the gateway to name', () => {
    const f = new FormData();
    f.set('daily_cap', 'lots');
    expect(settingsBody(readSettingsForm(f)).daily_cap).toBe('lots');
  });
  it('shows saved settings in the form', () => {
    expect(
      valuesOf({
        time_zone: 'UTC',
        business_days: [5, 1],
        window_start: '09:00',
        window_end: '17:00',
        holidays: ['2026-12-25'],
        daily_cap: 150,
        review_by_default: true,
        signature: 'Jane Doe\nAcme Realty',
        postal_address: '100 Main St',
      }),
    ).toEqual({
      time_zone: 'UTC',
      business_days: [1, 5],
      window_start: '09:00',
      window_end: '17:00',
      holidays: '2026-12-25',
      daily_cap: '150',
      review_by_default: true,
      signature: 'Jane Doe\nAcme Realty',
      postal_address: '100 Main St',
    });
  });
  it('shows no signature or address as empty boxes, and review off as unticked', () => {
    const v = valuesOf({
      time_zone: 'UTC',
      business_days: [1],
      window_start: '09:00',
      window_end: '17:00',
      holidays: [],
      daily_cap: 150,
      review_by_default: false,
      signature: null,
      postal_address: null,
    });
    expect(v).toMatchObject({ review_by_default: false, signature: '', postal_address: '' });
  });
});
