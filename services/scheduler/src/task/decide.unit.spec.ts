import { DomainError } from '@realtoros/messaging';
import { describe, expect, it } from 'vitest';
import { decide, decideAll, type TaskCommand } from './decide.ts';
import { fold, type TaskEvent, type TaskEventDraft } from './task.ts';

const AGENT = '0190a000-0000-7000-8000-000000000001';
const TASK = '0190a000-0000-7000-8000-0000000000a1';
const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const T0 = '2026-11-21T10:00:00.000Z';
const DAY1 = '2026-11-22T10:00:00.000Z';
const NOW = '2026-11-21T12:00:00.000Z';

/** Stored events from drafts, as the event store would return them. */
const given = (...drafts: TaskEventDraft[]): TaskEvent[] =>
  drafts.map((d) => ({ ...d, agent_id: AGENT, aggregate_id: TASK, occurred_at: T0 }) as TaskEvent);
const when = (command: TaskCommand, history: TaskEvent[]) => decide(command, fold(history));
const thenThrows = (command: TaskCommand, history: TaskEvent[], code: DomainError['code']) => {
  try {
    when(command, history);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${command.type} to throw ${code}`);
};

const scheduled = (over: Partial<Extract<TaskEventDraft, { type: 'TaskScheduled' }>['data']> = {}): TaskEventDraft => ({
  type: 'TaskScheduled',
  data: { client_id: CLIENT, followup_type: 'Day 1', scheduled_for: DAY1, priority: 'high', notes: null, version: 1, origin: 'plan', ...over },
});
const rescheduled = (to: string, version: number): TaskEventDraft => ({
  type: 'TaskRescheduled',
  data: { client_id: CLIENT, scheduled_for: to, previous: DAY1, version },
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
const complete = (by: 'agent' | 'email' = 'agent', email_id: string | null = null): TaskCommand => ({ type: 'CompleteTask', data: { by, email_id }, now: NOW });

describe('task decider', () => {
  describe('ScheduleTask', () => {
    it('given no task, when ScheduleTask, then TaskScheduled version 1', () => {
      expect(when(schedule(), given())).toEqual([scheduled()]);
    });
    it('given a scheduled task, when ScheduleTask again, then nothing (a repeat never plans twice)', () => {
      expect(when(schedule(), given(scheduled()))).toEqual([]);
    });
    it('a manual task scheduled in the past is scheduled for now', () => {
      const [e] = when(schedule({ origin: 'manual', followup_type: 'Custom', scheduled_for: '2020-01-01T00:00:00.000Z' }, NOW), given());
      expect(e).toMatchObject({ type: 'TaskScheduled', data: { scheduled_for: NOW, origin: 'manual', followup_type: 'Custom' } });
    });
  });

  describe('MarkTaskDue (the timer fires)', () => {
    it('given a pending task, when its version is due, then TaskDue with that version', () => {
      expect(when(markDue(1), given(scheduled()))).toEqual([due(1)]);
    });
    it('given a rescheduled task, when the old version fires, then nothing (stale timer)', () => {
      expect(when(markDue(1, '2026-11-30T00:00:00.000Z'), given(scheduled(), rescheduled('2026-11-29T00:00:00.000Z', 2)))).toEqual([]);
    });
    it('given a rescheduled task, when the new version fires, then TaskDue version 2 at the new time', () => {
      const to = '2026-11-29T00:00:00.000Z';
      expect(when(markDue(2, to), given(scheduled(), rescheduled(to, 2)))).toEqual([
        { type: 'TaskDue', data: { client_id: CLIENT, followup_type: 'Day 1', scheduled_for: to, version: 2, fired_at: to } },
      ]);
    });
    it('given a task already due, when the timer fires again, then nothing (exactly once)', () => {
      expect(when(markDue(1), given(scheduled(), due(1)))).toEqual([]);
    });
    it.each([
      ['completed', completed],
      ['skipped', skipped],
      ['cancelled', cancelled],
    ])('given a %s task, when its timer fires, then nothing', (_name, closing) => {
      expect(when(markDue(1), given(scheduled(), closing))).toEqual([]);
    });
    it('never fires before the scheduled time', () => {
      expect(when(markDue(1, '2026-11-22T09:59:59.999Z'), given(scheduled()))).toEqual([]);
    });
    it('given no task, when a timer fires, then nothing', () => {
      expect(when(markDue(1), given())).toEqual([]);
    });
  });

  describe('RescheduleTask', () => {
    it('given a pending task, when RescheduleTask, then TaskRescheduled with the next version and the previous time', () => {
      const to = '2026-11-25T08:00:00.000Z';
      expect(when(reschedule(to), given(scheduled()))).toEqual([rescheduled(to, 2)]);
    });
    it('a time in the past means now', () => {
      expect(when(reschedule('2001-01-01T00:00:00.000Z'), given(scheduled()))).toEqual([rescheduled(NOW, 2)]);
    });
    it('given a failed task, when RescheduleTask, then it is pending again (a retry)', () => {
      const to = '2026-11-25T08:00:00.000Z';
      const history = given(scheduled(), due(), failed);
      expect(when(reschedule(to), history)).toEqual([rescheduled(to, 2)]);
    });
    it.each([
      ['completed', completed],
      ['skipped', skipped],
      ['cancelled', cancelled],
    ])('given a %s task, when RescheduleTask, then illegal transition', (_name, closing) => {
      thenThrows(reschedule('2026-12-01T00:00:00.000Z'), given(scheduled(), closing), 'illegal_transition');
    });
    it('given no task, when RescheduleTask, then not found', () => {
      thenThrows(reschedule('2026-12-01T00:00:00.000Z'), given(), 'not_found');
    });
  });

  describe('CompleteTask, SkipTask', () => {
    it('given a pending task, when the agent completes it, then TaskCompleted by agent', () => {
      expect(when(complete(), given(scheduled()))).toEqual([completed]);
    });
    it('given a due task, when its email was sent, then TaskCompleted by email with the email id', () => {
      const emailId = '0190a000-0000-7000-8000-0000000000e1';
      expect(when(complete('email', emailId), given(scheduled(), due()))).toEqual([
        { type: 'TaskCompleted', data: { client_id: CLIENT, by: 'email', email_id: emailId, completed_at: NOW } },
      ]);
    });
    it('given a cancelled task, when the agent completes it, then illegal transition (409)', () => {
      thenThrows(complete(), given(scheduled(), cancelled), 'illegal_transition');
    });
    it('given a completed task, when completed again, then illegal transition', () => {
      thenThrows(complete(), given(scheduled(), completed), 'illegal_transition');
    });
    it('given a completed task, when an email outcome arrives again, then nothing', () => {
      expect(when(complete('email', null), given(scheduled(), completed))).toEqual([]);
    });
    it('given a due task, when the agent skips it, then TaskSkipped', () => {
      expect(when({ type: 'SkipTask' }, given(scheduled(), due()))).toEqual([skipped]);
    });
    it('given a skipped task, when skipped again, then illegal transition', () => {
      thenThrows({ type: 'SkipTask' }, given(scheduled(), skipped), 'illegal_transition');
    });
  });

  describe('FailTask, CancelTask (workflow commands: repeats are no-ops)', () => {
    it('given a due task, when its email failed, then TaskFailed', () => {
      expect(when({ type: 'FailTask', data: { reason: 'provider down', email_id: null } }, given(scheduled(), due()))).toEqual([failed]);
    });
    it('given a completed task, when a failure arrives late, then nothing', () => {
      expect(when({ type: 'FailTask', data: { reason: 'x', email_id: null } }, given(scheduled(), completed))).toEqual([]);
    });
    it('given a pending task, when its client is deleted, then TaskCancelled', () => {
      expect(when({ type: 'CancelTask', data: { reason: 'client_deleted' } }, given(scheduled()))).toEqual([cancelled]);
    });
    it.each([
      ['due', [due()]],
      ['completed', [completed]],
      ['cancelled', [cancelled]],
    ] as const)('given a %s task, when its client is deleted, then nothing', (_n, after) => {
      expect(when({ type: 'CancelTask', data: { reason: 'client_deleted' } }, given(scheduled(), ...after))).toEqual([]);
    });
  });

  describe('ChangeTaskDetails and several commands at once', () => {
    it('only what changed is recorded', () => {
      expect(when({ type: 'ChangeTaskDetails', data: { priority: 'high', notes: 'call first' } }, given(scheduled()))).toEqual([
        { type: 'TaskDetailsChanged', data: { client_id: CLIENT, notes: 'call first' } },
      ]);
      expect(when({ type: 'ChangeTaskDetails', data: { priority: 'high' } }, given(scheduled()))).toEqual([]);
    });
    it('decideAll: details + reschedule, each seeing the previous outcome', () => {
      const to = '2026-11-25T08:00:00.000Z';
      const { events, state } = decideAll(
        [{ type: 'ChangeTaskDetails', data: { priority: 'low' } }, reschedule(to)],
        fold(given(scheduled())),
        { agent_id: AGENT, aggregate_id: TASK, now: NOW },
      );
      expect(events.map((e) => e.type)).toEqual(['TaskDetailsChanged', 'TaskRescheduled']);
      expect(state).toMatchObject({ status: 'pending', priority: 'low', scheduled_for: to, version: 2 });
    });
    it('decideAll: an illegal command rejects the whole batch', () => {
      expect(() =>
        decideAll([{ type: 'ChangeTaskDetails', data: { notes: 'x' } }, complete()], fold(given(scheduled(), cancelled)), {
          agent_id: AGENT, aggregate_id: TASK, now: NOW,
        }),
      ).toThrow(DomainError);
    });
  });
});
