import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULE, defaultPlanSteps, parseSchedule, plannedTaskId } from './schedule.ts';

const CLIENT = '0190a000-0000-7000-8000-0000000000c1';

describe('the default plan from FOLLOWUP_SCHEDULE', () => {
  it('the classic five follow-ups are day steps (placed in the sending window), ids from their kinds', () => {
    expect(defaultPlanSteps(DEFAULT_SCHEDULE).map((s) => [s.id, s.label, s.offset_days, s.offset_seconds, s.priority, s.action])).toEqual([
      ['day-1', 'Day 1', 1, undefined, 'high', 'email'],
      ['day-3', 'Day 3', 3, undefined, 'medium', 'email'],
      ['week-1', 'Week 1', 7, undefined, 'medium', 'email'],
      ['week-2', 'Week 2', 14, undefined, 'low', 'email'],
      ['month-1', 'Month 1', 30, undefined, 'low', 'email'],
    ]);
    expect(defaultPlanSteps(DEFAULT_SCHEDULE)[0]).toEqual({
      id: 'day-1',
      label: 'Day 1',
      offset_days: 1,
      time_of_day: null,
      priority: 'high',
      action: 'email',
      instructions: null,
      template_id: null,
    });
  });

  it('a schedule in seconds makes exact demo steps (offset_seconds, offset_days = whole days of it); whole days stay day steps', () => {
    const steps = defaultPlanSteps(
      parseSchedule(
        '[{"followup_type":"Day 1","offset_seconds":30},{"followup_type":"Day 3","offset_seconds":90000},{"followup_type":"Week 1","offset_days":7}]',
      ),
    );
    expect(steps.map((s) => [s.id, s.offset_days, s.offset_seconds])).toEqual([
      ['day-1', 0, 30],
      ['day-3', 1, 90000],
      ['week-1', 7, undefined],
    ]);
  });

  it('legacy task ids (planned before plans) stay derived from (client, kind)', () => {
    expect(plannedTaskId(CLIENT, 'Day 1')).toBe(plannedTaskId(CLIENT, 'Day 1'));
    expect(plannedTaskId(CLIENT, 'Day 1')).not.toBe(plannedTaskId(CLIENT, 'Day 3'));
    expect(plannedTaskId('0190a000-0000-7000-8000-0000000000c2', 'Day 1')).not.toBe(plannedTaskId(CLIENT, 'Day 1'));
  });

  it('FOLLOWUP_SCHEDULE: a list or a map, offsets in seconds or days, priorities default per kind', () => {
    expect(
      parseSchedule('[{"followup_type":"Day 1","offset_seconds":5,"priority":"low"},{"followup_type":"Week 1","offset_days":0.5}]'),
    ).toEqual([
      { followup_type: 'Day 1', offset_seconds: 5, priority: 'low' },
      { followup_type: 'Week 1', offset_seconds: 43_200, priority: 'medium' },
    ]);
    expect(parseSchedule('{"Day 3":{"offset_seconds":10},"Month 1":30}')).toEqual([
      { followup_type: 'Day 3', offset_seconds: 10, priority: 'medium' },
      { followup_type: 'Month 1', offset_seconds: 30, priority: 'low' },
    ]);
  });

  it.each([
    ['not json', /JSON/],
    ['[]', /non-empty/],
    ['[{"followup_type":"Custom","offset_seconds":1}]', /followup_type/],
    ['[{"followup_type":"Day 1","offset_seconds":-1}]', /offset/],
    ['[{"followup_type":"Day 1","offset_seconds":1},{"followup_type":"Day 1","offset_seconds":2}]', /twice/],
    ['[{"followup_type":"Day 1","offset_seconds":1,"priority":"urgent"}]', /priority/],
  ])('rejects FOLLOWUP_SCHEDULE %s', (json, message) => {
    expect(() => parseSchedule(json)).toThrow(message);
  });
});
