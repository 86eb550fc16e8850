import { deciderSpec } from '@realtoros/testing';
import { describe, expect, it } from 'vitest';
import { type TaskCommand, taskDecider } from './decide.ts';
import type { TaskEventDraft } from './task.ts';

const AGENT = '0190a000-0000-7000-8000-000000000001';
const TASK = '0190a000-0000-7000-8000-0000000000a1';
const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const T0 = '2026-11-21T10:00:00.000Z';
const DAY1 = '2026-11-22T10:00:00.000Z';
const NOW = '2026-11-21T12:00:00.000Z';

/** Given/when/then over the task decider; given events are stored at T0 on one task. */
const spec = deciderSpec(taskDecider, { agentId: AGENT, aggregateId: TASK, occurredAt: T0 });

const scheduled = (over: Partial<Extract<TaskEventDraft, { type: 'TaskScheduled' }>['data']> = {}): TaskEventDraft => ({
  type: 'TaskScheduled',
  data: {
    client_id: CLIENT,
    followup_type: 'Day 1',
    scheduled_for: DAY1,
    priority: 'high',
    notes: null,
    version: 1,
    origin: 'plan',
    ...over,
  },
});
const rescheduled = (to: string, version: number): TaskEventDraft => ({
  type: 'TaskRescheduled',
  data: { client_id: CLIENT, scheduled_for: to, previous: DAY1, version, by: 'agent' },
});
const due = (version = 1): TaskEventDraft => ({
  type: 'TaskDue',
  data: { client_id: CLIENT, followup_type: 'Day 1', scheduled_for: DAY1, version, fired_at: DAY1 },
});
const completed: TaskEventDraft = { type: 'TaskCompleted', data: { client_id: CLIENT, by: 'agent', email_id: null, completed_at: NOW } };
const skipped: TaskEventDraft = { type: 'TaskSkipped', data: { client_id: CLIENT } };
const cancelled: TaskEventDraft = { type: 'TaskCancelled', data: { client_id: CLIENT, reason: 'client_deleted' } };
const failed: TaskEventDraft = { type: 'TaskFailed', data: { client_id: CLIENT, reason: 'provider down', email_id: null } };

const schedule = (over: Partial<Extract<TaskCommand, { type: 'ScheduleTask' }>['data']> = {}, now = T0): TaskCommand => ({
  type: 'ScheduleTask',
  data: { client_id: CLIENT, followup_type: 'Day 1', scheduled_for: DAY1, priority: 'high', notes: null, origin: 'plan', ...over },
  now,
});
const markDue = (version: number, now = DAY1): TaskCommand => ({ type: 'MarkTaskDue', data: { version }, now });
const reschedule = (to: string, now = NOW): TaskCommand => ({ type: 'RescheduleTask', data: { scheduled_for: to }, now });
const complete = (by: 'agent' | 'email' = 'agent', email_id: string | null = null): TaskCommand => ({
  type: 'CompleteTask',
  data: { by, email_id },
  now: NOW,
});

describe('task decider', () => {
  describe('ScheduleTask', () => {
    it('given no task, when ScheduleTask, then TaskScheduled version 1', () => {
      spec.given([]).when(schedule()).then([scheduled()]);
    });
    it('given a scheduled task, when ScheduleTask again, then nothing (a repeat never plans twice)', () => {
      spec.given([scheduled()]).when(schedule()).then([]);
    });
    it('a manual task scheduled in the past is scheduled for now', () => {
      const [e] = spec
        .given([])
        .when(schedule({ origin: 'manual', followup_type: 'Custom', scheduled_for: '2020-01-01T00:00:00.000Z' }, NOW))
        .decided();
      expect(e).toMatchObject({ type: 'TaskScheduled', data: { scheduled_for: NOW, origin: 'manual', followup_type: 'Custom' } });
    });
  });

  describe('MarkTaskDue (the timer fires)', () => {
    it('given a pending task, when its version is due, then TaskDue with that version', () => {
      spec
        .given([scheduled()])
        .when(markDue(1))
        .then([due(1)]);
    });
    it('given a rescheduled task, when the old version fires, then nothing (stale timer)', () => {
      spec
        .given([scheduled(), rescheduled('2026-11-29T00:00:00.000Z', 2)])
        .when(markDue(1, '2026-11-30T00:00:00.000Z'))
        .then([]);
    });
    it('given a rescheduled task, when the new version fires, then TaskDue version 2 at the new time', () => {
      const to = '2026-11-29T00:00:00.000Z';
      spec
        .given([scheduled(), rescheduled(to, 2)])
        .when(markDue(2, to))
        .then([{ type: 'TaskDue', data: { client_id: CLIENT, followup_type: 'Day 1', scheduled_for: to, version: 2, fired_at: to } }]);
    });
    it('given a task already due, when the timer fires again, then nothing (exactly once)', () => {
      spec
        .given([scheduled(), due(1)])
        .when(markDue(1))
        .then([]);
    });
    it.each([
      ['completed', completed],
      ['skipped', skipped],
      ['cancelled', cancelled],
    ])('given a %s task, when its timer fires, then nothing', (_name, closing) => {
      spec.given([scheduled(), closing]).when(markDue(1)).then([]);
    });
    it('never fires before the scheduled time', () => {
      spec.given([scheduled()]).when(markDue(1, '2026-11-22T09:59:59.999Z')).then([]);
    });
    it('given no task, when a timer fires, then nothing', () => {
      spec.given([]).when(markDue(1)).then([]);
    });
  });

  describe('RescheduleTask', () => {
    it('given a pending task, when RescheduleTask, then TaskRescheduled with the next version and the previous time', () => {
      const to = '2026-11-25T08:00:00.000Z';
      spec
        .given([scheduled()])
        .when(reschedule(to))
        .then([rescheduled(to, 2)]);
    });
    it('a time in the past means now', () => {
      spec
        .given([scheduled()])
        .when(reschedule('2001-01-01T00:00:00.000Z'))
        .then([rescheduled(NOW, 2)]);
    });
    it('given a failed task, when RescheduleTask, then it is pending again (a retry)', () => {
      const to = '2026-11-25T08:00:00.000Z';
      const history = [scheduled(), due(), failed];
      spec
        .given(history)
        .when(reschedule(to))
        .then([rescheduled(to, 2)]);
    });
    it.each([
      ['completed', completed],
      ['skipped', skipped],
      ['cancelled', cancelled],
    ])('given a %s task, when RescheduleTask, then illegal transition', (_name, closing) => {
      spec.given([scheduled(), closing]).when(reschedule('2026-12-01T00:00:00.000Z')).thenThrows('illegal_transition');
    });
    it('given no task, when RescheduleTask, then not found', () => {
      spec.given([]).when(reschedule('2026-12-01T00:00:00.000Z')).thenThrows('not_found');
    });
  });

  describe('CompleteTask, SkipTask', () => {
    it('given a pending task, when the agent completes it, then TaskCompleted by agent', () => {
      spec.given([scheduled()]).when(complete()).then([completed]);
    });
    it('given a due task, when its email was sent, then TaskCompleted by email with the email id', () => {
      const emailId = '0190a000-0000-7000-8000-0000000000e1';
      spec
        .given([scheduled(), due()])
        .when(complete('email', emailId))
        .then([{ type: 'TaskCompleted', data: { client_id: CLIENT, by: 'email', email_id: emailId, completed_at: NOW } }]);
    });
    it('given a cancelled task, when the agent completes it, then illegal transition (409)', () => {
      spec.given([scheduled(), cancelled]).when(complete()).thenThrows('illegal_transition');
    });
    it('given a completed task, when completed again, then illegal transition', () => {
      spec.given([scheduled(), completed]).when(complete()).thenThrows('illegal_transition');
    });
    it('given a completed task, when an email outcome arrives again, then nothing', () => {
      spec.given([scheduled(), completed]).when(complete('email', null)).then([]);
    });
    it('given a due task, when the agent skips it, then TaskSkipped', () => {
      spec.given([scheduled(), due()]).when({ type: 'SkipTask' }).then([skipped]);
    });
    it('given a skipped task, when skipped again, then illegal transition', () => {
      spec.given([scheduled(), skipped]).when({ type: 'SkipTask' }).thenThrows('illegal_transition');
    });
  });

  describe('FailTask, CancelTask (workflow commands: repeats are no-ops)', () => {
    it('given a due task, when its email failed, then TaskFailed', () => {
      spec
        .given([scheduled(), due()])
        .when({ type: 'FailTask', data: { reason: 'provider down', email_id: null } })
        .then([failed]);
    });
    it('a failure reason from outside (a provider, a webhook) is made storable: a NUL written out, a lone surrogate replaced', () => {
      spec
        .given([scheduled(), due()])
        .when({ type: 'FailTask', data: { reason: 'bad\u0000 \ud800 reply', email_id: null } })
        .then([{ type: 'TaskFailed', data: { client_id: CLIENT, reason: 'bad\\u0000 \ufffd reply', email_id: null } }]);
    });
    it('given a completed task, when a failure arrives late, then nothing', () => {
      spec
        .given([scheduled(), completed])
        .when({ type: 'FailTask', data: { reason: 'x', email_id: null } })
        .then([]);
    });
    it('given a pending task, when its client is deleted, then TaskCancelled', () => {
      spec
        .given([scheduled()])
        .when({ type: 'CancelTask', data: { reason: 'client_deleted' } })
        .then([cancelled]);
    });
    it.each([
      ['due', [due()]],
      ['completed', [completed]],
      ['cancelled', [cancelled]],
    ] as const)('given a %s task, when its client is deleted, then nothing', (_n, after) => {
      spec
        .given([scheduled(), ...after])
        .when({ type: 'CancelTask', data: { reason: 'client_deleted' } })
        .then([]);
    });
    it.each(['stage_lost', 'stage_closed'] as const)(
      'given a pending or failed planned task, when the stage stops automation (%s), then TaskCancelled with that reason',
      (reason) => {
        const then = [{ type: 'TaskCancelled', data: { client_id: CLIENT, reason } }] as TaskEventDraft[];
        spec.given([scheduled()]).when({ type: 'CancelTask', data: { reason } }).then(then);
        spec.given([scheduled(), due(), failed]).when({ type: 'CancelTask', data: { reason } }).then(then);
      },
    );
    it("a stage rule never cancels the agent's own task (origin manual); a deletion still does", () => {
      spec
        .given([scheduled({ origin: 'manual', followup_type: 'Custom' })])
        .when({ type: 'CancelTask', data: { reason: 'stage_lost' } })
        .then([]);
      spec
        .given([scheduled({ origin: 'manual', followup_type: 'Custom' })])
        .when({ type: 'CancelTask', data: { reason: 'stage_closed' } })
        .then([]);
      spec
        .given([scheduled({ origin: 'manual', followup_type: 'Custom' })])
        .when({ type: 'CancelTask', data: { reason: 'client_deleted' } })
        .then([cancelled]);
    });
    it('given a due planned task, when the stage stops automation, then nothing (its email is on its way; the mailer suppresses it)', () => {
      spec
        .given([scheduled(), due()])
        .when({ type: 'CancelTask', data: { reason: 'stage_lost' } })
        .then([]);
    });
  });

  describe('ChangeTaskDetails and several commands at once', () => {
    it('only what changed is recorded', () => {
      spec
        .given([scheduled()])
        .when({ type: 'ChangeTaskDetails', data: { priority: 'high', notes: 'call first' } })
        .then([{ type: 'TaskDetailsChanged', data: { client_id: CLIENT, notes: 'call first' } }]);
      spec
        .given([scheduled()])
        .when({ type: 'ChangeTaskDetails', data: { priority: 'high' } })
        .then([]);
    });
    const update = (data: Extract<TaskCommand, { type: 'UpdateTask' }>['data']): TaskCommand => ({ type: 'UpdateTask', data, now: NOW });
    it('UpdateTask: details + reschedule, each seeing the previous outcome (distinct types: distinct event ids)', () => {
      const to = '2026-11-25T08:00:00.000Z';
      spec
        .given([scheduled()])
        .when(update({ priority: 'low', scheduled_for: to }))
        .then([
          { type: 'TaskDetailsChanged', data: { client_id: CLIENT, priority: 'low' } },
          { type: 'TaskRescheduled', data: { client_id: CLIENT, scheduled_for: to, previous: DAY1, version: 2, by: 'agent' } },
        ]);
    });
    it('UpdateTask: an illegal part rejects the whole PATCH', () => {
      spec
        .given([scheduled(), cancelled])
        .when(update({ notes: 'x', status: 'completed' }))
        .thenThrows('illegal_transition');
    });
    it('UpdateTask: closing and rescheduling at once is a validation error; an unknown task is not found', () => {
      spec
        .given([scheduled()])
        .when(update({ status: 'skipped', scheduled_for: DAY1 }))
        .thenThrows('validation');
      spec
        .given([])
        .when(update({ notes: 'x' }))
        .thenThrows('not_found');
    });
    it('UpdateTask: nothing new, nothing decided', () => {
      spec
        .given([scheduled()])
        .when(update({ priority: 'high', notes: null }))
        .then([]);
    });
  });
});
