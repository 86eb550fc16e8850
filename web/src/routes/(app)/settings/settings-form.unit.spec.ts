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
    expect(settingsBody(readSettingsForm(f))).toEqual({
      time_zone: 'America/Chicago',
      business_days: [1, 3, 5],
      window_start: '08:30',
      window_end: '18:00',
      holidays: ['2026-12-25', '2027-01-01'],
      daily_cap: 40,
    });
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
      }),
    ).toEqual({
      time_zone: 'UTC',
      business_days: [1, 5],
      window_start: '09:00',
      window_end: '17:00',
      holidays: '2026-12-25',
      daily_cap: '150',
    });
  });
});
