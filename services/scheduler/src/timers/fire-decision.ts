import type { AgentSettings } from '@realtoros/contracts';
import { agentLocalDate, nextDaySlot } from '@realtoros/planning';
import type { TaskCommand } from '../task/decide.ts';
import type { ExistingTask, TaskState } from '../task/task.ts';

/**
 * What the ticker must find out before a timer may append TaskDue — pure, so every rule of
 * "may this step go now?" reads as a unit spec; the ticker does the reads and the writes.
 *
 * - `stale`: the timer is not the task's current schedule (rescheduled, held, closed, already
 *   due) or its time has not come: nothing to do (MarkTaskDue would decide nothing anyway).
 * - `fire`: it may go, after two checks:
 *   `pause` — a planned step of an enrolment: if that enrolment is paused now, hold the task
 *   (`paused`) instead (closes the race between a pause and a timer already in flight);
 *   `cap` — an automated email (origin plan, action email or email_review, or a task planned
 *   before plans existed, which is one): it must reserve one of the agent's daily sends first,
 *   else it is held to the next day's slot. Reminders (action `task`) and the agent's own
 *   tasks are never capped.
 */
export type FireCheck =
  | { kind: 'stale' }
  | { kind: 'fire'; task: ExistingTask; pause: { enrollmentId: string; clientId: string } | null; cap: boolean };

export function fireCheck(state: TaskState, version: number, now: string): FireCheck {
  if (state.status !== 'pending' || state.version !== version || state.held_reason === 'paused') return { kind: 'stale' };
  if (Date.parse(now) < Date.parse(state.scheduled_for)) return { kind: 'stale' };
  const planned = state.origin === 'plan';
  return {
    kind: 'fire',
    task: state,
    pause: planned && state.plan ? { enrollmentId: state.plan.enrollment_id, clientId: state.client_id } : null,
    cap: isCapped(state),
  };
}

/** Automated emails count against the daily cap; reminders and the agent's own tasks never do. */
export const isCapped = (task: ExistingTask): boolean => task.origin === 'plan' && (task.plan?.action ?? 'email') !== 'task';

/** The daily cap's day: the agent's local date of the moment it fires. */
export const capDay = (settings: AgentSettings, now: string): string => agentLocalDate(now, settings.time_zone);

/**
 * The cap is reached: hold the step to the first open slot of a later day (in the client's
 * window — the zone its time was placed in — with its spread), naming the cap and the zone the
 * day was counted in. Guarded by the version, so a task moved meanwhile is left alone.
 */
export function capHoldCommand(task: ExistingTask, settings: AgentSettings, now: string): Extract<TaskCommand, { type: 'HoldTask' }> {
  return {
    type: 'HoldTask',
    data: {
      reason: 'daily_cap',
      until: nextDaySlot(now, settings, task.timing?.time_zone ?? null, task.client_id),
      cap: settings.daily_cap,
      time_zone: settings.time_zone,
      version: task.version,
    },
  };
}

/** Its enrolment is paused: hold it until the resume reschedules it. */
export function pauseHoldCommand(task: ExistingTask): Extract<TaskCommand, { type: 'HoldTask' }> {
  return { type: 'HoldTask', data: { reason: 'paused', until: null, version: task.version } };
}
