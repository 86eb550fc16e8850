import { type AgentSettings, DEFAULT_AGENT_SETTINGS, deterministicId } from '@realtoros/contracts';
import { describe, expect, it } from 'vitest';
import {
  agentLocalDate,
  defaultPlanId,
  followupTypeFor,
  newStepId,
  nextDaySlot,
  normalizePlanSteps,
  type PlanStep,
  placeStep,
  placeSteps,
  planTaskId,
  taskPlanRef,
  windowOf,
} from './steps.ts';
import { clientSpreadMinutes, startOfNextLocalDay, zonedInstant } from './window.ts';

const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const PLAN = '0190a000-0000-7000-8000-0000000000a1';
const NY: AgentSettings = { ...DEFAULT_AGENT_SETTINGS, time_zone: 'America/New_York' };
const EVERY_DAY: AgentSettings = { ...NY, business_days: [1, 2, 3, 4, 5, 6, 7] };

/** Local wall clock "YYYY-MM-DD HH:MM Www", read with Intl independently of window.ts. */
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
const step = (over: Partial<PlanStep> = {}): PlanStep => ({
  id: 'day-1',
  label: 'Day 1',
  offset_days: 1,
  time_of_day: null,
  priority: 'medium',
  action: 'email',
  instructions: null,
  template_id: null,
  ...over,
});

describe('ids', () => {
  it('derive from their inputs, as the brief fixes them', () => {
    expect(planTaskId('e1', 'day-1')).toBe(deterministicId('plan-task', 'e1', 'day-1'));
    expect(defaultPlanId('a1')).toBe(deterministicId('default-plan', 'a1'));
    expect(newStepId(PLAN, 2, 0)).toBe(`s-${deterministicId('plan-step', PLAN, '2', '0').slice(0, 8)}`);
    expect(newStepId(PLAN, 2, 0)).toMatch(/^s-[0-9a-f]{8}$/);
    expect(newStepId(PLAN, 2, 0)).not.toBe(newStepId(PLAN, 3, 0));
  });

  it('followupTypeFor: the classic kinds by label, anything else Custom', () => {
    expect(followupTypeFor('Day 3')).toBe('Day 3');
    expect(followupTypeFor('Month 1')).toBe('Month 1');
    expect(followupTypeFor('Custom')).toBe('Custom');
    expect(followupTypeFor('Closing checklist')).toBe('Custom');
    expect(followupTypeFor('day 3')).toBe('Custom');
  });
});

describe('normalizePlanSteps', () => {
  it('fills the defaults, keeps given ids and order, derives the missing ones', () => {
    const { steps, issues } = normalizePlanSteps(PLAN, 1, [
      { label: 'Hello', offset_days: 0 },
      { id: 'call-1', label: 'Call', offset_days: 2, action: 'task', priority: 'high', time_of_day: '10:30' },
    ]);
    expect(issues).toEqual([]);
    expect(steps).toEqual([
      step({ id: newStepId(PLAN, 1, 0), label: 'Hello', offset_days: 0 }),
      step({ id: 'call-1', label: 'Call', offset_days: 2, action: 'task', priority: 'high', time_of_day: '10:30' }),
    ]);
  });

  it('reports a step id listed twice at its second occurrence', () => {
    const { issues } = normalizePlanSteps(PLAN, 2, [
      { id: 'a', label: 'A', offset_days: 0 },
      { id: 'b', label: 'B', offset_days: 1 },
      { id: 'a', label: 'C', offset_days: 2 },
    ]);
    expect(issues).toEqual([{ pointer: '/steps/2/id', detail: 'is listed twice ("a")' }]);
  });

  it('an edited step keeps what the edit leaves out; null clears; demo seconds survive only an unchanged offset', () => {
    const previous = [
      step({ id: 'day-1', priority: 'high', instructions: 'Warm welcome', offset_seconds: 30 }),
      step({ id: 'day-3', label: 'Day 3', offset_days: 3, instructions: 'Check in', offset_seconds: 60 }),
    ];
    const { steps } = normalizePlanSteps(
      PLAN,
      2,
      [
        { id: 'day-1', label: 'Day 1', offset_days: 1 },
        { id: 'day-3', label: 'Day 3', offset_days: 4, instructions: null },
      ],
      previous,
    );
    expect(steps[0]).toEqual(step({ id: 'day-1', priority: 'high', instructions: 'Warm welcome', offset_seconds: 30 }));
    expect(steps[1]).toEqual(step({ id: 'day-3', label: 'Day 3', offset_days: 4, instructions: null }));
  });
});

describe('placeStep', () => {
  it('offset_seconds: exact, no window, planned_for = scheduled_for', () => {
    const p = placeStep({ step: step({ offset_seconds: 90 }), enrolledAt: '2026-11-28T08:14:00.000Z', settings: NY, clientId: CLIENT });
    expect(p).toEqual({
      scheduled_for: '2026-11-28T08:15:30.000Z',
      timing: { planned_for: '2026-11-28T08:15:30.000Z', time_zone: 'America/New_York', placement: 'exact' },
    });
  });

  it('a step due at 02:00 in the client zone goes inside the window; planned_for records 02:00', () => {
    // Enrolled Tue 2026-11-24 15:00 Chicago; Day 3 at 02:00 → Fri 02:00 → Fri 09:00 + the client's spread.
    const p = placeStep({
      step: step({ offset_days: 3, time_of_day: '02:00' }),
      enrolledAt: '2026-11-24T21:00:00.000Z',
      settings: NY,
      clientZone: 'America/Chicago',
      clientId: CLIENT,
    });
    expect(p.timing).toEqual({
      planned_for: zonedInstant('2026-11-27', '02:00', 'America/Chicago'),
      time_zone: 'America/Chicago',
      placement: 'window',
    });
    expect(wall(p.timing.planned_for, 'America/Chicago')).toBe('2026-11-27 02:00 Fri');
    const spread = clientSpreadMinutes(CLIENT, windowOf(NY));
    const at = wall(p.scheduled_for, 'America/Chicago');
    expect(at.slice(0, 10)).toBe('2026-11-27');
    expect(at >= '2026-11-27 09:00' && at < '2026-11-27 17:00').toBe(true);
    expect(p.scheduled_for).toBe(
      new Date(Date.parse(zonedInstant('2026-11-27', '09:00', 'America/Chicago')) + spread * 60_000).toISOString(),
    );
  });

  it('no time_of_day: window start + the client spread; a weekend step goes on Monday', () => {
    // Enrolled Wed 2026-11-25 in Chicago; Day 3 = Sat → Mon at 09:00 + spread.
    const p = placeStep({
      step: step({ offset_days: 3 }),
      enrolledAt: '2026-11-25T18:00:00.000Z',
      settings: NY,
      clientZone: 'America/Chicago',
      clientId: CLIENT,
    });
    const spread = clientSpreadMinutes(CLIENT, windowOf(NY));
    const planned = new Date(Date.parse(zonedInstant('2026-11-28', '09:00', 'America/Chicago')) + spread * 60_000).toISOString();
    expect(p.timing.planned_for).toBe(planned);
    expect(wall(p.scheduled_for, 'America/Chicago').slice(0, 16)).toBe(`2026-11-30 ${wall(planned, 'America/Chicago').slice(11, 16)}`);
  });

  it('an unknown client zone falls back to the agent zone', () => {
    const p = placeStep({
      step: step(),
      enrolledAt: '2026-11-24T21:00:00.000Z',
      settings: NY,
      clientZone: 'Nowhere/City',
      clientId: CLIENT,
    });
    expect(p.timing.time_zone).toBe('America/New_York');
  });

  it('same-day step whose time passed: never before the enrolment', () => {
    const p = placeStep({
      step: step({ offset_days: 0, time_of_day: '09:00' }),
      enrolledAt: '2026-11-24T16:30:00.000Z',
      settings: NY,
      clientId: CLIENT,
    });
    expect(p.timing.planned_for).toBe('2026-11-24T16:30:00.000Z');
    expect(p.scheduled_for).toBe('2026-11-24T16:30:00.000Z'); // 11:30 New York, inside the window
  });

  it.each([
    ['across 2026-03-08 (spring forward)', '2026-03-04T12:00:00.000Z', '15:00', '14:00'],
    ['across 2026-11-01 (fall back)', '2026-10-28T12:00:00.000Z', '14:00', '15:00'],
  ])('DST %s: a daily 10:00 step keeps 10:00 local; the UTC hour moves', (_name, enrolledAt, utcBefore, utcAfter) => {
    const steps = Array.from({ length: 9 }, (_, d) => step({ id: `d-${d}`, offset_days: d, time_of_day: '10:00' }));
    const placed = placeSteps({ steps }, { enrolledAt, settings: EVERY_DAY, clientId: CLIENT });
    const locals = placed.map((p) => wall(p.scheduled_for, 'America/New_York').slice(11, 16));
    expect(locals).toEqual(Array(9).fill('10:00'));
    const utc = placed.map((p) => p.scheduled_for.slice(11, 16));
    expect(utc[0]).toBe(utcBefore);
    expect(utc[8]).toBe(utcAfter);
    // Consecutive calendar days, none skipped or doubled.
    const days = placed.map((p) => wall(p.scheduled_for, 'America/New_York').slice(0, 10));
    expect(new Set(days).size).toBe(9);
    expect(placed.every((p) => p.scheduled_for === p.timing.planned_for)).toBe(true);
  });
});

describe("placeSteps: the window never puts two of a plan's emails on one day", () => {
  // The standard plan enrolled on Friday 2026-11-27 14:00 New York.
  const FRIDAY = '2026-11-27T19:00:00.000Z';
  const standard = [
    step({ id: 'd1', label: 'Day 1', offset_days: 1 }),
    step({ id: 'd3', label: 'Day 3', offset_days: 3 }),
    step({ id: 'w1', label: 'Week 1', offset_days: 7 }),
  ];
  const days = (steps: PlanStep[], settings = NY) =>
    placeSteps({ steps }, { enrolledAt: FRIDAY, settings, clientId: CLIENT }).map((p) => wall(p.scheduled_for, 'America/New_York'));

  it('Friday enrolment: Day 1 (Saturday) goes Monday, Day 3 (Monday) the day after — not both Monday', () => {
    // Each step alone lands on Monday: the collision this rule is for.
    const alone = standard
      .slice(0, 2)
      .map((s) => wall(placeStep({ step: s, enrolledAt: FRIDAY, settings: NY, clientId: CLIENT }).scheduled_for, 'America/New_York'));
    expect(alone.map((w) => w.slice(0, 10))).toEqual(['2026-11-30', '2026-11-30']);
    const placed = days(standard);
    expect(placed.map((w) => `${w.slice(0, 10)} ${w.slice(-3)}`)).toEqual(['2026-11-30 Mon', '2026-12-01 Tue', '2026-12-04 Fri']);
  });

  it('the moved step keeps its planned day on record and goes at the window start + the client spread', () => {
    const [, d3] = placeSteps({ steps: standard }, { enrolledAt: FRIDAY, settings: NY, clientId: CLIENT });
    expect(wall(d3!.timing.planned_for, 'America/New_York').slice(0, 10)).toBe('2026-11-30');
    const spread = clientSpreadMinutes(CLIENT, windowOf(NY));
    expect(d3!.scheduled_for).toBe(
      new Date(Date.parse(zonedInstant('2026-12-01', '09:00', 'America/New_York')) + spread * 60_000).toISOString(),
    );
  });

  it('a chain of collisions (holidays Mon–Wed) spaces every email a day apart, in order', () => {
    const holidays = { ...NY, holidays: ['2026-11-30', '2026-12-01', '2026-12-02'] };
    expect(days(standard, holidays).map((w) => w.slice(0, 10))).toEqual(['2026-12-03', '2026-12-04', '2026-12-07']);
  });

  it('steps planned for the same day stay together; a reminder (task) and exact demo steps are not moved', () => {
    const sameDay = [step({ id: 'a', offset_days: 1 }), step({ id: 'b', offset_days: 1, time_of_day: '15:00' })];
    expect(days(sameDay).map((w) => w.slice(0, 10))).toEqual(['2026-11-30', '2026-11-30']);
    const withTask = [step({ id: 'a', offset_days: 1 }), step({ id: 'call', offset_days: 3, action: 'task' })];
    expect(days(withTask).map((w) => w.slice(0, 10))).toEqual(['2026-11-30', '2026-11-30']);
    const demo = [step({ id: 'x', offset_seconds: 60 } as Partial<PlanStep>), step({ id: 'y', offset_seconds: 60 } as Partial<PlanStep>)];
    const [x, y] = placeSteps({ steps: demo }, { enrolledAt: FRIDAY, settings: NY, clientId: CLIENT });
    expect(x!.scheduled_for).toBe(y!.scheduled_for);
  });
});

describe('taskPlanRef', () => {
  it('names the version and the 1-based step', () => {
    const plan = { plan_id: PLAN, name: 'New lead', version: 3, steps: [step(), step({ id: 'day-3', label: 'Day 3', instructions: 'x' })] };
    expect(taskPlanRef(plan, 1, 'e1')).toEqual({
      enrollment_id: 'e1',
      plan_id: PLAN,
      plan_name: 'New lead',
      plan_version: 3,
      step_id: 'day-3',
      step_index: 2,
      step_label: 'Day 3',
      action: 'email',
      instructions: 'x',
      template_id: null,
    });
  });
});

describe('daily-cap helpers', () => {
  it('agentLocalDate is the local date in the zone', () => {
    expect(agentLocalDate('2026-11-25T03:30:00.000Z', 'America/New_York')).toBe('2026-11-24');
    expect(agentLocalDate('2026-11-25T03:30:00.000Z', 'UTC')).toBe('2026-11-25');
  });

  it('nextDaySlot: the next open day at window start + spread (Friday → Monday)', () => {
    const spread = clientSpreadMinutes(CLIENT, windowOf(NY));
    const held = '2026-11-27T16:00:00.000Z'; // Fri 11:00 New York
    const slot = nextDaySlot(held, NY, null, CLIENT);
    expect(slot).toBe(new Date(Date.parse(zonedInstant('2026-11-30', '09:00', 'America/New_York')) + spread * 60_000).toISOString());
  });

  it('nextDaySlot never lands in the agent day that is full, for a client far ahead of the agent', () => {
    // Agent New York, client Tokyo: held Tue 02:00 New York (= Tue 16:00 Tokyo). Tokyo's next
    // day opens at Wed 09:00 Tokyo = Tue 19:00 New York, still the agent's full Tuesday.
    const held = '2026-11-24T07:00:00.000Z';
    const slot = nextDaySlot(held, NY, 'Asia/Tokyo', CLIENT);
    expect(agentLocalDate(slot, 'America/New_York') > '2026-11-24').toBe(true);
    expect(Date.parse(slot)).toBeGreaterThanOrEqual(Date.parse(startOfNextLocalDay(held, 'America/New_York')));
    const local = wall(slot, 'Asia/Tokyo').slice(11, 16);
    expect(local >= '09:00' && local < '17:00').toBe(true);
  });

  it('windowOf memoises per settings value', () => {
    expect(windowOf({ ...NY })).toBe(windowOf({ ...NY }));
    expect(windowOf(NY)).not.toBe(windowOf(EVERY_DAY));
  });
});
