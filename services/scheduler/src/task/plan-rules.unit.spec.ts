import { TASK_CANCEL_REASONS } from '@realtoros/contracts';
import { deciderSpec } from '@realtoros/testing';
import { describe, expect, it } from 'vitest';
import { type TaskCommand, taskDecider } from './decide.ts';
import { type ExistingTask, type TaskEventDraft, type TaskPlanRef, type TaskTiming, taskView } from './task.ts';

/** The task rules plans, enrolments, holds and the daily cap added (issue 8). */

const AGENT = '0190a000-0000-7000-8000-000000000001';
const TASK = '0190a000-0000-7000-8000-0000000000a1';
const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const ENROLLMENT = '0190a000-0000-7000-8000-0000000000e1';
const PLAN = '0190a000-0000-7000-8000-0000000000f1';
const T0 = '2026-11-21T10:00:00.000Z';
const DUE = '2026-11-23T14:37:00.000Z';
const NOW = '2026-11-23T14:40:00.000Z';
const NEXT_SLOT = '2026-11-24T14:12:00.000Z';

const spec = deciderSpec(taskDecider, { agentId: AGENT, aggregateId: TASK, occurredAt: T0 });

const plan = (over: Partial<TaskPlanRef> = {}): TaskPlanRef => ({
  enrollment_id: ENROLLMENT,
  plan_id: PLAN,
  plan_name: 'New lead',
  plan_version: 3,
  step_id: 'day-3',
  step_index: 2,
  step_label: 'Day 3',
  action: 'email',
  instructions: 'Mention the open house',
  template_id: null,
  ...over,
});
const timing: TaskTiming = { planned_for: '2026-11-23T07:14:00.000Z', time_zone: 'America/Chicago', placement: 'window' };

const scheduled = (over: Record<string, unknown> = {}): TaskEventDraft =>
  ({
    type: 'TaskScheduled',
    data: {
      client_id: CLIENT,
      followup_type: 'Day 3',
      scheduled_for: DUE,
      priority: 'medium',
      notes: null,
      version: 1,
      origin: 'plan',
      plan: plan(),
      timing,
      ...over,
    },
  }) as TaskEventDraft;
const manual = scheduled({ origin: 'manual', followup_type: 'Custom', plan: undefined, timing: undefined });
const agentMoved = (to: string, version = 2): TaskEventDraft => ({
  type: 'TaskRescheduled',
  data: { client_id: CLIENT, scheduled_for: to, previous: DUE, version, by: 'agent' },
});
const held = (reason: 'daily_cap' | 'paused', version = 2, from = DUE): TaskEventDraft => ({
  type: 'TaskHeld',
  data:
    reason === 'daily_cap'
      ? { client_id: CLIENT, reason, from, until: NEXT_SLOT, version, cap: 150, time_zone: 'America/Chicago' }
      : { client_id: CLIENT, reason, from, until: null, version },
});
const due = (version = 1, at = DUE): TaskEventDraft => ({
  type: 'TaskDue',
  data: { client_id: CLIENT, followup_type: 'Day 3', scheduled_for: at, version, fired_at: at },
});

const hold = (data: Extract<TaskCommand, { type: 'HoldTask' }>['data']): TaskCommand => ({ type: 'HoldTask', data });
const capHold = (version?: number): TaskCommand =>
  hold({ reason: 'daily_cap', until: NEXT_SLOT, cap: 150, time_zone: 'America/Chicago', ...(version ? { version } : {}) });
const pauseHold: TaskCommand = hold({ reason: 'paused', until: null });
const move = (
  by: 'plan_change' | 'resume' | 'agent' | undefined,
  to: string,
  extra: { plan?: TaskPlanRef; timing?: TaskTiming } = {},
  now = NOW,
): TaskCommand => ({ type: 'RescheduleTask', data: { scheduled_for: to, ...(by ? { by } : {}), ...extra }, now });
const markDue = (version: number, now = DUE): TaskCommand => ({ type: 'MarkTaskDue', data: { version }, now });

const existing = (events: TaskEventDraft[]) => spec.given(events).state() as ExistingTask;

describe('task decider: plans, holds and the cap', () => {
  describe('ScheduleTask with a plan ref and timing', () => {
    it('records both on TaskScheduled; the task starts unpinned and not held', () => {
      spec
        .given([])
        .when({
          type: 'ScheduleTask',
          data: {
            client_id: CLIENT,
            followup_type: 'Day 3',
            scheduled_for: DUE,
            priority: 'medium',
            notes: null,
            origin: 'plan',
            plan: plan(),
            timing,
          },
          now: T0,
        })
        .then([scheduled()]);
      expect(existing([scheduled()])).toMatchObject({ plan: plan(), timing, pinned: false, held_reason: null, held_until: null });
    });
  });

  describe('MarkTaskDue carries the step to the ai-agent', () => {
    it('copies action, step label and instructions into TaskDue', () => {
      spec
        .given([scheduled()])
        .when(markDue(1))
        .then([
          {
            type: 'TaskDue',
            data: {
              client_id: CLIENT,
              followup_type: 'Day 3',
              scheduled_for: DUE,
              version: 1,
              fired_at: DUE,
              action: 'email',
              step_label: 'Day 3',
              instructions: 'Mention the open house',
            },
          },
        ]);
    });
    it('a reminder step (action task) says so; a task planned before plans carries no step fields', () => {
      const [reminder] = spec
        .given([scheduled({ plan: plan({ action: 'task', instructions: null }) })])
        .when(markDue(1))
        .decided();
      expect(reminder?.data).toMatchObject({ action: 'task', instructions: null });
      const [legacy] = spec
        .given([scheduled({ plan: undefined, timing: undefined })])
        .when(markDue(1))
        .decided();
      expect(legacy?.data).not.toHaveProperty('action');
      expect(legacy?.data).not.toHaveProperty('instructions');
    });
  });

  describe('RescheduleTask by the agent pins the task', () => {
    it('by absent = the agent: TaskRescheduled {by: agent}, and the task is pinned', () => {
      const to = '2026-11-25T15:00:00.000Z';
      spec
        .given([scheduled()])
        .when(move(undefined, to))
        .then([agentMoved(to)]);
      expect(existing([scheduled(), agentMoved(to)]).pinned).toBe(true);
    });
    it('an older TaskRescheduled without `by` was the agent too (pinned)', () => {
      const old: TaskEventDraft = { type: 'TaskRescheduled', data: { client_id: CLIENT, scheduled_for: NOW, previous: DUE, version: 2 } };
      expect(existing([scheduled(), old]).pinned).toBe(true);
    });
    it('the agent moving a held task to its own time releases the hold (even to the same instant)', () => {
      spec
        .given([scheduled(), held('daily_cap')])
        .when(move('agent', NEXT_SLOT))
        .then([
          { type: 'TaskRescheduled', data: { client_id: CLIENT, scheduled_for: NEXT_SLOT, previous: NEXT_SLOT, version: 3, by: 'agent' } },
        ]);
      const to = '2026-11-26T15:00:00.000Z';
      expect(existing([scheduled(), held('paused'), agentMoved(to, 3)])).toMatchObject({
        held_reason: null,
        pinned: true,
        scheduled_for: to,
      });
    });
  });

  describe('RescheduleTask by a plan edit or a resume', () => {
    const to = '2026-11-24T15:03:00.000Z';
    const newTiming: TaskTiming = { ...timing, planned_for: to };
    it('moves a pending, unpinned task, recording the new step and timing', () => {
      spec
        .given([scheduled()])
        .when(move('plan_change', to, { plan: plan({ plan_version: 4 }), timing: newTiming }))
        .then([
          {
            type: 'TaskRescheduled',
            data: {
              client_id: CLIENT,
              scheduled_for: to,
              previous: DUE,
              version: 2,
              by: 'plan_change',
              timing: newTiming,
              plan: plan({ plan_version: 4 }),
            },
          },
        ]);
      const after = existing([
        scheduled(),
        {
          type: 'TaskRescheduled',
          data: { client_id: CLIENT, scheduled_for: to, previous: DUE, version: 2, by: 'plan_change', plan: plan({ plan_version: 4 }) },
        },
      ]);
      expect(after).toMatchObject({ pinned: false, plan: { plan_version: 4 }, timing });
    });
    it('the same time with new instructions is a change (the step ref is renewed); with the same step it is nothing', () => {
      const renewed = plan({ plan_version: 4, instructions: 'Invite them to the Saturday tour' });
      const ahead = scheduled({ scheduled_for: to });
      const [e] = spec
        .given([ahead])
        .when(move('plan_change', to, { plan: renewed }))
        .decided();
      expect(e).toMatchObject({ type: 'TaskRescheduled', data: { scheduled_for: to, version: 2, by: 'plan_change', plan: renewed } });
      spec
        .given([ahead])
        .when(move('plan_change', to, { plan: plan() }))
        .then([]);
      spec.given([ahead]).when(move('resume', to)).then([]);
    });
    it.each(['plan_change', 'resume'] as const)('%s leaves a pinned task where the agent put it', (by) => {
      spec
        .given([scheduled(), agentMoved(NOW)])
        .when(move(by, to, { plan: plan({ plan_version: 4 }) }))
        .then([]);
    });
    it.each([
      ['due', [due()]],
      ['failed', [due(), { type: 'TaskFailed', data: { client_id: CLIENT, reason: 'x', email_id: null } } as TaskEventDraft]],
      [
        'completed',
        [due(), { type: 'TaskCompleted', data: { client_id: CLIENT, by: 'email', email_id: null, completed_at: DUE } } as TaskEventDraft],
      ],
      ['cancelled', [{ type: 'TaskCancelled', data: { client_id: CLIENT, reason: 'stage_lost' } } as TaskEventDraft]],
    ])('given a %s task, a plan edit or resume decides nothing (not an error: workflow inputs repeat)', (_n, after) => {
      spec
        .given([scheduled(), ...after])
        .when(move('plan_change', to))
        .then([]);
      spec
        .given([scheduled(), ...after])
        .when(move('resume', to))
        .then([]);
    });
    it('given no task, a plan edit decides nothing; the agent gets not found', () => {
      spec.given([]).when(move('plan_change', to)).then([]);
      spec.given([]).when(move('agent', to)).thenThrows('not_found');
    });
    it('a time in the past means now', () => {
      const [e] = spec.given([scheduled()]).when(move('resume', '2026-01-01T00:00:00.000Z')).decided();
      expect(e?.data).toMatchObject({ scheduled_for: NOW, by: 'resume' });
    });
    it('a resume re-arms a task the pause held, even at the same time, and releases it', () => {
      const history = [scheduled(), held('paused')];
      spec
        .given(history)
        .when(move('resume', DUE, { timing }))
        .then([
          { type: 'TaskRescheduled', data: { client_id: CLIENT, scheduled_for: NOW, previous: DUE, version: 3, by: 'resume', timing } },
        ]);
      const later = '2026-11-27T15:00:00.000Z';
      const after = existing([
        ...history,
        { type: 'TaskRescheduled', data: { client_id: CLIENT, scheduled_for: later, previous: DUE, version: 3, by: 'resume' } },
      ]);
      expect(after).toMatchObject({ held_reason: null, held_until: null, scheduled_for: later, version: 3 });
    });
    it("a resume re-arms a pinned task the pause held at the agent's own time (now, if that has passed)", () => {
      const own = '2026-11-28T16:00:00.000Z';
      spec
        .given([scheduled(), agentMoved(own), held('paused', 3, own)])
        .when(move('resume', to))
        .then([{ type: 'TaskRescheduled', data: { client_id: CLIENT, scheduled_for: own, previous: own, version: 4, by: 'resume' } }]);
      const [e] = spec
        .given([scheduled(), agentMoved(DUE), held('paused', 3)])
        .when(move('resume', to))
        .decided();
      expect(e?.data).toMatchObject({ scheduled_for: NOW, version: 4 });
    });
    it('a plan edit of a paused task moves it but keeps it held: its new timer decides nothing until the resume', () => {
      const history = [
        scheduled(),
        held('paused'),
        {
          type: 'TaskRescheduled',
          data: { client_id: CLIENT, scheduled_for: to, previous: DUE, version: 3, by: 'plan_change' },
        } as TaskEventDraft,
      ];
      expect(existing(history)).toMatchObject({ held_reason: 'paused', scheduled_for: to, version: 3 });
      spec.given(history).when(markDue(3, to)).then([]);
    });
    it('a plan edit renewing a cap-held step at its slot keeps it held there; moving it elsewhere releases it', () => {
      const renew: TaskEventDraft = {
        type: 'TaskRescheduled',
        data: {
          client_id: CLIENT,
          scheduled_for: NEXT_SLOT,
          previous: NEXT_SLOT,
          version: 3,
          by: 'plan_change',
          plan: plan({ plan_version: 4 }),
        },
      };
      expect(existing([scheduled(), held('daily_cap'), renew])).toMatchObject({ held_reason: 'daily_cap', held_until: NEXT_SLOT });
      const away: TaskEventDraft = {
        type: 'TaskRescheduled',
        data: { client_id: CLIENT, scheduled_for: to, previous: NEXT_SLOT, version: 3, by: 'plan_change' },
      };
      expect(existing([scheduled(), held('daily_cap'), away])).toMatchObject({ held_reason: null, held_until: null });
    });
  });

  describe('HoldTask', () => {
    it('daily cap: TaskHeld with the next version, when it was to go, the slot, the cap and the zone; the task goes at the slot', () => {
      spec
        .given([scheduled()])
        .when(capHold())
        .then([held('daily_cap')]);
      expect(existing([scheduled(), held('daily_cap')])).toMatchObject({
        status: 'pending',
        version: 2,
        scheduled_for: NEXT_SLOT,
        held_reason: 'daily_cap',
        held_until: NEXT_SLOT,
      });
    });
    it('a cap-held task: its old timer is stale, its new one fires at the slot (and the hold is over)', () => {
      const history = [scheduled(), held('daily_cap')];
      spec.given(history).when(markDue(1, NOW)).then([]);
      spec.given(history).when(markDue(2, '2026-11-24T14:11:59.999Z')).then([]);
      const [e] = spec.given(history).when(markDue(2, NEXT_SLOT)).decided();
      expect(e).toMatchObject({ type: 'TaskDue', data: { version: 2, scheduled_for: NEXT_SLOT, action: 'email' } });
      expect(existing([...history, due(2, NEXT_SLOT)])).toMatchObject({ status: 'due', held_reason: null, held_until: null });
    });
    it('the next day full too: held again from the slot to the following one', () => {
      const following = '2026-11-25T14:12:00.000Z';
      spec
        .given([scheduled(), held('daily_cap')])
        .when(hold({ reason: 'daily_cap', until: following, cap: 150, time_zone: 'America/Chicago', version: 2 }))
        .then([
          {
            type: 'TaskHeld',
            data: {
              client_id: CLIENT,
              reason: 'daily_cap',
              from: NEXT_SLOT,
              until: following,
              version: 3,
              cap: 150,
              time_zone: 'America/Chicago',
            },
          },
        ]);
    });
    it('paused: until null, the time is kept, and no timer fires it', () => {
      spec
        .given([scheduled()])
        .when(pauseHold)
        .then([held('paused')]);
      const history = [scheduled(), held('paused')];
      expect(existing(history)).toMatchObject({ version: 2, scheduled_for: DUE, held_reason: 'paused', held_until: null });
      spec.given(history).when(markDue(1, NOW)).then([]);
      spec.given(history).when(markDue(2, NOW)).then([]);
    });
    it('the same hold again (same reason, same slot) decides nothing; a stale version guard decides nothing', () => {
      spec
        .given([scheduled(), held('daily_cap')])
        .when(capHold())
        .then([]);
      spec
        .given([scheduled(), held('paused')])
        .when(pauseHold)
        .then([]);
      spec
        .given([scheduled(), held('daily_cap')])
        .when(capHold(1))
        .then([]);
      spec
        .given([scheduled(), agentMoved(NOW)])
        .when(capHold(1))
        .then([]);
    });
    it('a pause holds a cap-held task; the cap never releases a paused one into a slot', () => {
      spec
        .given([scheduled(), held('daily_cap')])
        .when(pauseHold)
        .then([{ type: 'TaskHeld', data: { client_id: CLIENT, reason: 'paused', from: NEXT_SLOT, until: null, version: 3 } }]);
      spec
        .given([scheduled(), held('paused')])
        .when(capHold())
        .then([]);
    });
    it.each([
      ['due', [scheduled(), due()]],
      [
        'completed',
        [scheduled(), due(), { type: 'TaskCompleted', data: { client_id: CLIENT, by: 'email', email_id: null, completed_at: DUE } }],
      ],
      ['manual', [manual]],
      ['absent', []],
    ] as [string, TaskEventDraft[]][])('given a %s task, HoldTask decides nothing', (_n, history) => {
      spec.given(history).when(capHold()).then([]);
      spec.given(history).when(pauseHold).then([]);
    });
  });

  describe('CancelTask: every reason but the client’s own facts is a rule (planned tasks only)', () => {
    it.each(TASK_CANCEL_REASONS)('%s', (reason) => {
      const cancelled = [{ type: 'TaskCancelled', data: { client_id: CLIENT, reason } }] as TaskEventDraft[];
      spec.given([scheduled()]).when({ type: 'CancelTask', data: { reason } }).then(cancelled);
      spec
        .given([scheduled(), held('paused')])
        .when({ type: 'CancelTask', data: { reason } })
        .then(cancelled);
      const clientFact = reason === 'client_deleted' || reason === 'client_unsubscribed';
      spec
        .given([manual])
        .when({ type: 'CancelTask', data: { reason } })
        .then(clientFact ? cancelled : []);
    });
  });

  describe('taskView', () => {
    it('shows the plan fields and the hold; hides the internals', () => {
      const view = taskView(existing([scheduled(), held('daily_cap')]));
      expect(view).toMatchObject({
        id: TASK,
        scheduled_for: NEXT_SLOT,
        version: 2,
        enrollment_id: ENROLLMENT,
        plan_id: PLAN,
        plan_version: 3,
        step_label: 'Day 3',
        action: 'email',
        held_reason: 'daily_cap',
      });
      for (const hidden of ['origin', 'plan', 'timing', 'pinned', 'held_until']) expect(view).not.toHaveProperty(hidden);
      expect(taskView(existing([manual]))).toMatchObject({
        enrollment_id: null,
        plan_id: null,
        plan_version: null,
        step_label: null,
        action: null,
        held_reason: null,
      });
    });
  });
});
