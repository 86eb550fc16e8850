import { describe, expect, it } from 'vitest';
import { decide } from '../task/decide.ts';
import { initialState } from '../task/task.ts';
import { DEFAULT_SCHEDULE, parseSchedule, planFollowups, plannedTaskId } from './schedule.ts';

const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const CREATED = '2026-11-21T19:31:03.465Z';
const clientCreated = {
  client_id: CLIENT,
  created_at: CREATED,
  data: { name: 'Ann', email: 'ann@example.com', phone: null, property_address: null, property_type: null, notes: null, custom_fields: {}, stage: 'lead' as const },
};
const plus = (days: number) => new Date(Date.parse(CREATED) + days * 86_400_000).toISOString();

describe('planning follow-ups', () => {
  it('given ClientCreated, when planned with the default schedule, then five tasks with the right kinds, offsets and priorities', () => {
    const planned = planFollowups(clientCreated, DEFAULT_SCHEDULE, '2026-11-21T19:31:04.000Z');
    const events = planned.flatMap((p) => decide(p.command, initialState));
    expect(events.map((e) => e.type === 'TaskScheduled' && [e.data.followup_type, e.data.scheduled_for, e.data.priority, e.data.version, e.data.origin])).toEqual([
      ['Day 1', plus(1), 'high', 1, 'plan'],
      ['Day 3', plus(3), 'medium', 1, 'plan'],
      ['Week 1', plus(7), 'medium', 1, 'plan'],
      ['Week 2', plus(14), 'low', 1, 'plan'],
      ['Month 1', plus(30), 'low', 1, 'plan'],
    ]);
  });

  it('derives task ids from (client, kind): planning again targets the same tasks', () => {
    const a = planFollowups(clientCreated, DEFAULT_SCHEDULE, '2026-11-21T19:31:04.000Z').map((p) => p.task_id);
    const b = planFollowups(clientCreated, DEFAULT_SCHEDULE, '2027-01-01T00:00:00.000Z').map((p) => p.task_id);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(5);
    expect(a[0]).toBe(plannedTaskId(CLIENT, 'Day 1'));
    expect(plannedTaskId('0190a000-0000-7000-8000-0000000000c2', 'Day 1')).not.toBe(a[0]);
  });

  it('times follow-ups from the client creation, not from processing time', () => {
    const late = planFollowups(clientCreated, DEFAULT_SCHEDULE, '2026-12-30T00:00:00.000Z');
    expect(late[0]?.command.data.scheduled_for).toBe(plus(1));
  });

  it('FOLLOWUP_SCHEDULE: a list or a map, offsets in seconds or days, priorities default per kind', () => {
    expect(parseSchedule('[{"followup_type":"Day 1","offset_seconds":5,"priority":"low"},{"followup_type":"Week 1","offset_days":0.5}]')).toEqual([
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
