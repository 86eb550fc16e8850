import { type AgentSettings, DEFAULT_AGENT_SETTINGS } from '@realtoros/contracts';
import { describe, expect, it } from 'vitest';
import { type PlanEffect, type PlanTaskSnapshot, planChangeEffects, resumeEffects, summarizePreview } from './effects.ts';
import { nextSlotFrom, type PlanStep, type PlanVersion, placeStep, placeSteps, planTaskId } from './steps.ts';

const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const PLAN = '0190a000-0000-7000-8000-0000000000a1';
const ENR = '0190a000-0000-7000-8000-0000000000e1';
const NY: AgentSettings = { ...DEFAULT_AGENT_SETTINGS, time_zone: 'America/New_York' }; // Mon–Fri 09:00–17:00
/** Mon 2026-11-02 10:00 New York. */
const ANCHOR = '2026-11-02T15:00:00.000Z';
/** Tue 2026-11-03 07:00 New York: before that day's window. */
const NOW = '2026-11-03T12:00:00.000Z';

const step = (id: string, offset_days: number, over: Partial<PlanStep> = {}): PlanStep => ({
  id,
  label: id,
  offset_days,
  time_of_day: '10:00',
  priority: 'medium',
  action: 'email',
  instructions: null,
  template_id: null,
  ...over,
});
const version = (v: number, steps: PlanStep[]): PlanVersion => ({ plan_id: PLAN, name: 'New lead', version: v, steps });
const at = (s: PlanStep, anchor = ANCHOR) => placeStep({ step: s, enrolledAt: anchor, settings: NY, clientId: CLIENT }).scheduled_for;
/** The task the enrolment workflow made for a step of the old version. */
const task = (s: PlanStep, over: Partial<PlanTaskSnapshot> = {}): [string, PlanTaskSnapshot] => [
  s.id,
  { task_id: planTaskId(ENR, s.id), status: 'pending', scheduled_for: at(s), pinned: false, held_reason: null, ...over },
];
const base = { anchor: ANCHOR, settings: NY, clientId: CLIENT, enrollmentId: ENR, now: NOW };
const kinds = (effects: PlanEffect[]) => effects.map((e) => `${e.kind}:${e.step_id}`);

describe('planChangeEffects', () => {
  const a = step('a', 1);
  const b = step('b', 3);
  const c = step('c', 5);
  const d = step('d', 8); // c (day 5, a Saturday) goes Monday; d on day 7 would share that Monday (see the spacing tests)
  const from = version(1, [a, b, c, d]);

  it('nothing changes → no effects', () => {
    const tasks = new Map([task(a), task(b), task(c), task(d)]);
    expect(planChangeEffects({ ...base, from, to: version(2, [a, b, c, d]), tasks })).toEqual([]);
  });

  it('moves, updates, adds, removes and past steps, in the new order then removals', () => {
    const to = version(2, [
      step('g', 0, { time_of_day: '09:00' }), // new, its time (Mon 09:00 → never before enrolment: Mon 10:00) is past
      a,
      step('b', 4),
      { ...c, instructions: 'Mention the open house' },
      step('f', 10),
    ]);
    const tasks = { a: task(a)[1], b: task(b)[1], c: task(c)[1], d: task(d)[1] };
    const effects = planChangeEffects({ ...base, from, to, tasks });
    expect(kinds(effects)).toEqual(['past:g', 'move:b', 'update:c', 'add:f', 'remove:d']);

    const move = effects[1];
    expect(move).toMatchObject({ kind: 'move', task_id: planTaskId(ENR, 'b'), from: at(b), to: at(step('b', 4)), plan_step_index: 3 });
    expect(move?.kind === 'move' && move.plan).toMatchObject({ plan_version: 2, step_id: 'b', step_index: 3 });
    expect(move?.kind === 'move' && move.to).toBe('2026-11-06T15:00:00.000Z'); // Fri 10:00 EST

    const update = effects[2];
    expect(update).toMatchObject({
      kind: 'update',
      from: at(c),
      to: at(c),
      plan: { instructions: 'Mention the open house', plan_version: 2 },
    });

    const add = effects[3];
    expect(add).toMatchObject({ kind: 'add', task_id: planTaskId(ENR, 'f'), scheduled_for: '2026-11-12T15:00:00.000Z', step_index: 5 });
    expect(add?.kind === 'add' && add.timing).toEqual({
      planned_for: '2026-11-12T15:00:00.000Z',
      time_zone: 'America/New_York',
      placement: 'window',
    });

    expect(effects[4]).toEqual({ kind: 'remove', step_id: 'd', task_id: planTaskId(ENR, 'd') });
    expect(effects[0]).toEqual({ kind: 'past', step_id: 'g', task_id: planTaskId(ENR, 'g') });
  });

  it('pinned, done, due or cancelled tasks are left alone; a pinned task of a removed step is removed', () => {
    const tasks = new Map([
      task(a, { pinned: true, scheduled_for: '2026-11-03T19:00:00.000Z' }),
      task(b, { status: 'due' }),
      task(c, { status: 'cancelled' }),
      task(d, { pinned: true }),
    ]);
    const to = version(2, [step('a', 2), step('b', 4), step('c', 6, { instructions: 'new' })]);
    expect(kinds(planChangeEffects({ ...base, from, to, tasks }))).toEqual(['remove:d']);
    const gone = new Map([task(a), task(b), task(c), task(d, { status: 'completed' })]);
    expect(planChangeEffects({ ...base, from, to: version(2, [a, b, c]), tasks: gone })).toEqual([]);
  });

  it('a new time already past goes to the next open slot from now', () => {
    const late = step('b', 3);
    const tasks = new Map([task(late)]);
    const to = version(2, [step('b', 0)]); // Mon 10:00: before now (Tue 07:00)
    const [effect] = planChangeEffects({ ...base, from: version(1, [late]), to, tasks });
    const slot = nextSlotFrom(NOW, NY, null, CLIENT);
    expect(effect).toMatchObject({ kind: 'move', from: at(late), to: slot });
    expect(slot > NOW && slot.startsWith('2026-11-03')).toBe(true);
  });

  it('a step held by the daily cap stays held unless its timing changed', () => {
    const held = task(a, { held_reason: 'daily_cap', scheduled_for: '2026-11-03T14:40:00.000Z' });
    const tasks = new Map([held]);
    expect(planChangeEffects({ ...base, from: version(1, [a]), to: version(2, [a]), tasks })).toEqual([]);
    const reworded = planChangeEffects({ ...base, from: version(1, [a]), to: version(2, [{ ...a, instructions: 'x' }]), tasks });
    expect(reworded).toMatchObject([{ kind: 'update', from: held[1].scheduled_for, to: held[1].scheduled_for }]);
    const retimed = planChangeEffects({ ...base, from: version(1, [a]), to: version(2, [step('a', 2)]), tasks });
    expect(retimed).toMatchObject([{ kind: 'move', to: at(step('a', 2)) }]);
  });

  it('the same inputs give the same effects (preview = apply)', () => {
    const to = version(2, [step('b', 4), step('f', 10)]);
    const tasks = new Map([task(a), task(b), task(c), task(d)]);
    expect(planChangeEffects({ ...base, from, to, tasks })).toEqual(
      planChangeEffects({ ...base, from, to, tasks: Object.fromEntries(tasks) }),
    );
  });
});

describe('resumeEffects', () => {
  const a = step('a', 1, { time_of_day: null });
  const b = step('b', 3);
  const plan = version(1, [a, b]);

  it('a pause of days moves the pending steps on; past ones go to the next slot from now', () => {
    const paused = 3 * 86_400_000;
    const anchor = new Date(Date.parse(ANCHOR) + paused).toISOString(); // Thu 10:00
    const now = '2026-11-05T18:00:00.000Z';
    const c = step('c', 0); // Thu 10:00 after the shift: already past at 13:00
    const tasks = new Map([task(a, { held_reason: 'paused' }), task(b, { held_reason: 'paused' }), task(c)]);
    const effects = resumeEffects({ ...base, anchor, now, plan: version(1, [a, b, c]), tasks });
    expect(effects).toMatchObject([
      { kind: 'move', step_id: 'a', from: at(a), to: at(a, anchor) }, // Fri at 09:00 + spread
      { kind: 'move', step_id: 'b', from: at(b), to: at(b, anchor) }, // Thu + 3 = Sun → Mon at 09:00 + spread
      { kind: 'move', step_id: 'c', from: at(c), to: now }, // inside Thursday's window: at once
    ]);
    expect(at(b, anchor).startsWith('2026-11-09')).toBe(true);
  });

  it('a held task is re-armed even when its time does not change; an unheld one is left alone', () => {
    const anchor = new Date(Date.parse(ANCHOR) + 60_000).toISOString(); // a one-minute pause keeps the local date
    const tasks = new Map([task(a, { held_reason: 'paused' }), task(b)]);
    const effects = resumeEffects({ ...base, anchor, plan, tasks });
    expect(effects).toMatchObject([{ kind: 'move', step_id: 'a', from: at(a), to: at(a) }]);
    // As a plan change (no re-arming) the same inputs say nothing.
    expect(planChangeEffects({ ...base, anchor, from: plan, to: plan, tasks })).toEqual([]);
  });
});

describe('summarizePreview', () => {
  const e = (kind: PlanEffect['kind'], n = 1): PlanEffect[] =>
    Array.from({ length: n }, (_, i) => ({ kind, step_id: `s${i}`, task_id: `t${i}` }) as unknown as PlanEffect);

  it('the issue sentence', () => {
    const per = Array.from({ length: 37 }, (_, i) => [...e('add'), ...(i < 12 ? e('move') : []), ...(i < 5 ? e('remove') : [])]);
    expect(summarizePreview(per, 37)).toEqual({
      enrolled: 37,
      affected: 37,
      moved: 12,
      added: 37,
      removed: 5,
      summary: 'This change affects 37 enrolled clients: 12 steps move, 37 are added, 5 are removed.',
    });
  });

  it('singulars, updates and past steps', () => {
    expect(summarizePreview([[...e('move'), ...e('add'), ...e('remove')]], 1).summary).toBe(
      'This change affects 1 enrolled client: 1 step moves, 1 is added, 1 is removed.',
    );
    expect(summarizePreview([e('update', 4), e('past', 3), []], 3).summary).toBe(
      'This change affects 1 enrolled client: 0 steps move, 0 are added, 0 are removed, 4 get new instructions. 3 added steps are already past and are not sent.',
    );
    expect(summarizePreview([e('update'), e('past')], 2).summary).toBe(
      'This change affects 1 enrolled client: 0 steps move, 0 are added, 0 are removed, 1 gets new instructions. 1 added step is already past and is not sent.',
    );
  });

  it('nothing changes', () => {
    const none = Array.from({ length: 37 }, () => []);
    expect(summarizePreview(none, 37)).toEqual({
      enrolled: 37,
      affected: 0,
      moved: 0,
      added: 0,
      removed: 0,
      summary: 'This change affects none of the 37 enrolled clients.',
    });
    expect(summarizePreview([e('past', 2)], 1).summary).toBe(
      'This change affects none of the 1 enrolled client. 2 added steps are already past and are not sent.',
    );
  });
});

describe('the one-email-a-day rule after enrolment', () => {
  // Enrolled Friday 2026-11-27 14:00 New York: Day 1 and Day 3 both fall on Monday alone.
  const FRIDAY = '2026-11-27T19:00:00.000Z';
  const d1 = step('d1', 1, { time_of_day: null });
  const d3 = step('d3', 3, { time_of_day: null });
  const v1 = version(1, [d1, d3]);
  const enrolled = placeSteps(v1, { enrolledAt: FRIDAY, settings: NY, clientId: CLIENT });
  const tasks = new Map<string, PlanTaskSnapshot>(
    enrolled.map((p) => [
      p.step.id,
      { task_id: planTaskId(ENR, p.step.id), status: 'pending', scheduled_for: p.scheduled_for, pinned: false, held_reason: null },
    ]),
  );
  const args = { anchor: FRIDAY, settings: NY, clientId: CLIENT, enrollmentId: ENR, now: '2026-11-28T12:00:00.000Z' };

  it('an edit that leaves the steps alone moves nothing (the enrolment already spaced them)', () => {
    expect(enrolled[0]!.scheduled_for.slice(0, 10)).not.toBe(enrolled[1]!.scheduled_for.slice(0, 10));
    expect(planChangeEffects({ ...args, from: v1, to: version(2, [d1, d3]), tasks })).toEqual([]);
  });

  it('once Day 1 has gone out, Day 3 still keeps its day (no spurious move)', () => {
    const sent = new Map(tasks);
    sent.set('d1', { ...sent.get('d1')!, status: 'completed' });
    expect(planChangeEffects({ ...args, now: '2026-11-30T18:00:00.000Z', from: v1, to: version(2, [d1, d3]), tasks: sent })).toEqual([]);
  });

  it('a new step that the window would put on an email day goes to the next open day after it', () => {
    const extra = step('d2', 2, { time_of_day: null }); // Sunday → Monday, beside Day 1
    const effects = planChangeEffects({ ...args, from: v1, to: version(2, [d1, extra, d3]), tasks });
    const add = effects.find((e) => e.kind === 'add');
    expect(add && 'scheduled_for' in add ? add.scheduled_for.slice(0, 10) : null).toBe(enrolled[1]!.scheduled_for.slice(0, 10));
    // …and Day 3 moves on a day so the three stay a day apart.
    const move = effects.find((e) => e.kind === 'move' && e.step_id === 'd3');
    expect(move && 'to' in move ? Date.parse(move.to) : 0).toBeGreaterThan(Date.parse(enrolled[1]!.scheduled_for) + 12 * 3600_000);
  });
});
