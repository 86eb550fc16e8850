import { describe, expect, it } from 'vitest';
import { applyEdit, blankStep, draftOf, moveOrRemove, newPlanDraft, parseEdit, planBody, readPlanForm, stepField } from './plan-form.ts';

const step = (label: string, extra: Partial<Record<string, string>> = {}) => ({
  id: '',
  label,
  offset_days: '1',
  time_of_day: '',
  priority: 'medium',
  action: 'email',
  instructions: '',
  template_id: '',
  template_use: 'as_is',
  ...extra,
});

describe('the plan editor’s form', () => {
  it('reads indexed step fields, stop stages and the trigger', () => {
    const f = new FormData();
    f.set('name', '  New lead ');
    f.append('stop_stages', 'lost');
    f.append('stop_stages', 'closed');
    f.set('stage_trigger', 'under_contract');
    f.set('on_reply', 'pause');
    f.set('step_count', '2');
    for (const [i, s] of [
      step('Day 1', { id: 'day-1', time_of_day: '02:00' }),
      step('Call', { action: 'task', offset_days: '3' }),
    ].entries())
      for (const [k, v] of Object.entries(s)) f.set(stepField(i, k as never), v);
    const d = readPlanForm(f);
    expect(d).toMatchObject({ name: 'New lead', stop_stages: ['lost', 'closed'], stage_trigger: 'under_contract', on_reply: 'pause' });
    f.delete('on_reply');
    expect(readPlanForm(f).on_reply).toBe('end');
    expect(d.steps.map((s) => [s.id, s.label, s.action])).toEqual([
      ['day-1', 'Day 1', 'email'],
      ['', 'Call', 'task'],
    ]);
  });

  it('builds the API body: ids kept (new steps without one), numbers as numbers, empty optional fields null', () => {
    const body = planBody({
      name: 'N',
      stop_stages: ['closed', 'lost'],
      stage_trigger: '',
      on_reply: 'bogus',
      steps: [
        step('Day 1', { id: 'day-1', time_of_day: '09:30', instructions: 'Warm' }),
        step('Later', { offset_days: '-2' }),
        step('X', { offset_days: 'abc' }),
        step('T', { template_id: '0190a000-0000-7000-8000-0000000000t1', template_use: 'ai_base' }),
      ],
    });
    expect(body).toEqual({
      name: 'N',
      stop_stages: ['closed', 'lost'],
      stage_trigger: null,
      on_reply: 'end',
      steps: [
        { id: 'day-1', label: 'Day 1', offset_days: 1, time_of_day: '09:30', priority: 'medium', action: 'email', instructions: 'Warm', template_id: null },
        { label: 'Later', offset_days: -2, time_of_day: null, priority: 'medium', action: 'email', instructions: null, template_id: null },
        // Left as typed: the gateway's pointer names it.
        { label: 'X', offset_days: 'abc', time_of_day: null, priority: 'medium', action: 'email', instructions: null, template_id: null },
        // A template: its id and how the email uses it (issue 10).
        { label: 'T', offset_days: 1, time_of_day: null, priority: 'medium', action: 'email', instructions: null, template_id: '0190a000-0000-7000-8000-0000000000t1', template_use: 'ai_base' },
      ],
    });
  });

  it('adds, removes and moves steps (the buttons without JavaScript)', () => {
    const steps = [step('A', { offset_days: '2' }), step('B'), step('C')];
    expect(parseEdit('up:1')).toEqual({ op: 'up', index: 1 });
    expect(parseEdit('bogus')).toBeNull();
    expect(applyEdit(steps, { op: 'up', index: 1 }).map((s) => s.label)).toEqual(['B', 'A', 'C']);
    expect(applyEdit(steps, { op: 'down', index: 2 }).map((s) => s.label)).toEqual(['A', 'B', 'C']);
    expect(applyEdit(steps, { op: 'remove', index: 0 }).map((s) => s.label)).toEqual(['B', 'C']);
    expect(applyEdit(steps, { op: 'add' }).at(-1)).toMatchObject({ id: '', offset_days: '8' });
    expect(moveOrRemove(['x', 'y'], 'up', 0)).toEqual(['x', 'y']);
  });

  it('starts a new plan with one step and the default stop stages; a plan becomes a draft', () => {
    expect(newPlanDraft()).toMatchObject({
      stop_stages: ['lost', 'closed'],
      stage_trigger: '',
      on_reply: 'end',
      steps: [{ label: 'Day 1', offset_days: '1' }],
    });
    expect(blankStep()).toMatchObject({ priority: 'medium', action: 'email' });
    const d = draftOf({
      name: 'P',
      stop_stages: ['lost'],
      stage_trigger: null,
      on_reply: 'pause',
      steps: [{ id: 's-1', label: 'L', offset_days: 0, time_of_day: null, priority: 'high', action: 'task', instructions: null }],
    });
    expect(d.on_reply).toBe('pause');
    expect(d.steps[0]).toEqual({
      id: 's-1',
      label: 'L',
      offset_days: '0',
      time_of_day: '',
      priority: 'high',
      action: 'task',
      instructions: '',
      template_id: '',
      template_use: 'as_is',
    });
  });
});
