import { type AgentSettings, DEFAULT_AGENT_SETTINGS } from '@realtoros/contracts';
import { nextDaySlot } from '@realtoros/planning';
import { deciderSpec } from '@realtoros/testing';
import { describe, expect, it } from 'vitest';
import { taskDecider } from '../task/decide.ts';
import type { ExistingTask, TaskEventDraft, TaskPlanRef } from '../task/task.ts';
import { capDay, capHoldCommand, fireCheck, pauseHoldCommand } from './fire-decision.ts';

const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const ENROLLMENT = '0190a000-0000-7000-8000-0000000000e1';
const DUE = '2026-11-24T15:00:00.000Z';
const spec = deciderSpec(taskDecider);

const ref = (action: TaskPlanRef['action']): TaskPlanRef => ({
  enrollment_id: ENROLLMENT,
  plan_id: '0190a000-0000-7000-8000-0000000000f1',
  plan_name: 'New lead',
  plan_version: 1,
  step_id: 'day-1',
  step_index: 1,
  step_label: 'Day 1',
  action,
  instructions: null,
  template_id: null,
});
const task = (over: Record<string, unknown> = {}, after: TaskEventDraft[] = []): ExistingTask =>
  spec
    .given([
      {
        type: 'TaskScheduled',
        data: {
          client_id: CLIENT,
          followup_type: 'Day 1',
          scheduled_for: DUE,
          priority: 'high',
          notes: null,
          version: 1,
          origin: 'plan',
          plan: ref('email'),
          timing: { planned_for: DUE, time_zone: 'America/Chicago', placement: 'window' },
          ...over,
        },
      } as TaskEventDraft,
      ...after,
    ])
    .state() as ExistingTask;

describe('fire decision (what a timer must check before TaskDue)', () => {
  it('an automated email step of an enrolment: pause check and the cap', () => {
    expect(fireCheck(task(), 1, DUE)).toMatchObject({ kind: 'fire', pause: { enrollmentId: ENROLLMENT, clientId: CLIENT }, cap: true });
    expect(fireCheck(task({ plan: ref('email_review') }), 1, DUE)).toMatchObject({ kind: 'fire', cap: true });
  });
  it('a reminder step (action task) is never capped, but a paused enrolment still holds it', () => {
    expect(fireCheck(task({ plan: ref('task') }), 1, DUE)).toMatchObject({ kind: 'fire', pause: { enrollmentId: ENROLLMENT }, cap: false });
  });
  it("the agent's own task: no checks; a task planned before plans: capped (an automated email), no enrolment to check", () => {
    expect(fireCheck(task({ origin: 'manual', plan: undefined, timing: undefined }), 1, DUE)).toMatchObject({
      kind: 'fire',
      pause: null,
      cap: false,
    });
    expect(fireCheck(task({ plan: undefined, timing: undefined }), 1, DUE)).toMatchObject({ kind: 'fire', pause: null, cap: true });
  });
  it('stale: another version, not pending, held by a pause, or not yet time', () => {
    expect(fireCheck(task(), 2, DUE)).toEqual({ kind: 'stale' });
    expect(fireCheck(task(), 1, '2026-11-24T14:59:59.999Z')).toEqual({ kind: 'stale' });
    const due: TaskEventDraft = {
      type: 'TaskDue',
      data: { client_id: CLIENT, followup_type: 'Day 1', scheduled_for: DUE, version: 1, fired_at: DUE },
    };
    expect(fireCheck(task({}, [due]), 1, DUE)).toEqual({ kind: 'stale' });
    const paused: TaskEventDraft = { type: 'TaskHeld', data: { client_id: CLIENT, reason: 'paused', from: DUE, until: null, version: 2 } };
    expect(fireCheck(task({}, [paused]), 2, DUE)).toEqual({ kind: 'stale' });
    expect(fireCheck({ status: 'absent' }, 1, DUE)).toEqual({ kind: 'stale' });
  });
  it('the cap counts the agent’s local day of the firing', () => {
    const chicago: AgentSettings = { ...DEFAULT_AGENT_SETTINGS, time_zone: 'America/Chicago' };
    expect(capDay(chicago, '2026-11-25T03:00:00.000Z')).toBe('2026-11-24'); // 21:00 the evening before
    expect(capDay({ ...chicago, time_zone: 'Asia/Tokyo' }, '2026-11-24T16:00:00.000Z')).toBe('2026-11-25');
  });
  it('cap reached: held to the next day’s slot in the client’s window, with the cap, the zone and a version guard', () => {
    const settings: AgentSettings = { ...DEFAULT_AGENT_SETTINGS, time_zone: 'America/New_York', daily_cap: 40 };
    const t = task();
    const cmd = capHoldCommand(t, settings, DUE);
    expect(cmd).toEqual({
      type: 'HoldTask',
      data: {
        reason: 'daily_cap',
        until: nextDaySlot(DUE, settings, 'America/Chicago', CLIENT),
        cap: 40,
        time_zone: 'America/New_York',
        version: 1,
      },
    });
    // Next day (Wednesday) inside 09:00–17:00 Chicago.
    expect(cmd.data.until?.slice(0, 10)).toBe('2026-11-25');
    expect(pauseHoldCommand(t)).toEqual({ type: 'HoldTask', data: { reason: 'paused', until: null, version: 1 } });
  });
});
