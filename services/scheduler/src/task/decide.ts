import type { FollowupType, Priority, TaskCancelReason, TaskHoldReason } from '@realtoros/contracts';
import { type Decider, DomainError, storableText } from '@realtoros/messaging';
import {
  type ExistingTask,
  evolve,
  initialState,
  type TaskEventDraft,
  type TaskEventType,
  type TaskPlanRef,
  type TaskState,
  type TaskTiming,
} from './task.ts';

/** Who moves a task: the agent (kept as given: pinned), a plan edit, or a resume after a pause. */
export type RescheduleBy = 'agent' | 'plan_change' | 'resume';

/** Cancel reasons that are the client's own facts; every other reason is a rule (planned tasks only). */
const CLIENT_FACTS: readonly TaskCancelReason[] = ['client_deleted', 'client_unsubscribed'];

/**
 * The task's commands and `decide`: pure (time arrives in the command as `now`), so every
 * rule reads as "given these events, when this command, then these events". An empty
 * result means "nothing to do" (idempotent repeats); a broken rule throws a coded
 * DomainError that the gateway maps to HTTP in one place.
 */
export type TaskCommand =
  | {
      type: 'ScheduleTask';
      data: {
        client_id: string;
        followup_type: FollowupType;
        scheduled_for: string;
        priority: Priority;
        notes: string | null;
        origin: 'plan' | 'manual';
        /** Planned from an enrolment: the step it comes from, and how its time was placed. */
        plan?: TaskPlanRef;
        timing?: TaskTiming;
      };
      now: string;
    }
  /**
   * `by` (default `agent`): the agent's time is kept as given and pins the task (plan edits
   * and resumes leave it alone from then on). `plan_change` / `resume` move only a pending,
   * unpinned task — the same time is a change when the step's `plan` ref changes (new
   * instructions) or the task is held; on anything else they decide nothing (workflow
   * inputs repeat). A resume re-arms a pinned task held by the pause at its own time.
   */
  | {
      type: 'RescheduleTask';
      data: { scheduled_for: string; by?: RescheduleBy; timing?: TaskTiming; plan?: TaskPlanRef };
      now: string;
    }
  /**
   * A due step held back (planned, pending tasks only): `daily_cap` until the next day's slot
   * (`until`), `paused` until the resume (`until` null). The schedule version moves on, so
   * older timers go stale; a cap hold is re-armed at `until`. `version` given: only while the
   * task is still at that schedule version (the ticker's guard against a concurrent change).
   */
  | {
      type: 'HoldTask';
      data: { reason: TaskHoldReason; until: string | null; cap?: number; time_zone?: string; version?: number };
    }
  | { type: 'ChangeTaskDetails'; data: { priority?: Priority; notes?: string | null } }
  | { type: 'CompleteTask'; data: { by: 'agent' | 'email'; email_id: string | null }; now: string }
  | { type: 'SkipTask' }
  /** A timer says the task's schedule version `version` is due. */
  | { type: 'MarkTaskDue'; data: { version: number }; now: string }
  | { type: 'FailTask'; data: { reason: string; email_id: string | null } }
  /**
   * `client_deleted` / `client_unsubscribed`: the client's own facts, any task. Every other
   * reason (an enrolment's end, `stage_*`, `step_removed`) is a rule, so it never cancels a
   * task the agent created (origin `manual`).
   */
  | { type: 'CancelTask'; data: { reason: TaskCancelReason } }
  /**
   * The agent's PATCH: details, a new time, or closing it — decided as the commands above in
   * that order, each seeing the previous outcome; one illegal part rejects the whole PATCH.
   */
  | {
      type: 'UpdateTask';
      data: { priority?: Priority; notes?: string | null; scheduled_for?: string; status?: 'completed' | 'skipped' };
      now: string;
    };

/** Statuses from which an agent may still act on a task (complete, skip, reschedule). */
const OPEN = ['pending', 'due', 'failed'] as const;
const isOpen = (t: ExistingTask) => (OPEN as readonly string[]).includes(t.status);

const later = (a: string, b: string) => (Date.parse(a) >= Date.parse(b) ? a : b);

function existing(state: TaskState): ExistingTask {
  if (state.status === 'absent') throw new DomainError('not_found', 'task not found');
  return state;
}

function illegal(task: ExistingTask, action: string): never {
  throw new DomainError('illegal_transition', `cannot ${action} a ${task.status} task`);
}

export function decide(command: TaskCommand, state: TaskState): TaskEventDraft[] {
  switch (command.type) {
    case 'ScheduleTask': {
      // Task ids are deterministic, so scheduling again is a repeat, not a second task.
      if (state.status !== 'absent') return [];
      const d = command.data;
      return [
        {
          type: 'TaskScheduled',
          data: {
            client_id: d.client_id,
            followup_type: d.followup_type,
            scheduled_for: d.origin === 'manual' ? later(d.scheduled_for, command.now) : d.scheduled_for,
            priority: d.priority,
            notes: d.notes,
            version: 1,
            origin: d.origin,
            ...(d.plan ? { plan: d.plan } : {}),
            ...(d.timing ? { timing: d.timing } : {}),
          },
        },
      ];
    }
    case 'RescheduleTask': {
      const d = command.data;
      const by = d.by ?? 'agent';
      if (by === 'agent') {
        const task = existing(state);
        if (!isOpen(task)) illegal(task, 'reschedule');
        // A time in the past means "now".
        const scheduledFor = later(d.scheduled_for, command.now);
        if (task.status === 'pending' && task.held_reason === null && sameInstant(scheduledFor, task.scheduled_for)) return [];
        return [rescheduled(task, scheduledFor, d, 'agent')];
      }
      // A plan edit or a resume: workflow inputs, so anything that does not apply is nothing.
      if (state.status !== 'pending') return [];
      if (state.pinned) {
        // The agent's own time stays; a resume only re-arms what the pause held.
        if (by !== 'resume' || state.held_reason !== 'paused') return [];
        return [rescheduled(state, later(state.scheduled_for, command.now), {}, 'resume')];
      }
      const scheduledFor = later(d.scheduled_for, command.now);
      const planChanged = d.plan !== undefined && !samePlan(d.plan, state.plan);
      // A resume must re-arm what the pause held (its timer went stale), even at the same time;
      // a plan edit leaves a held task held (see evolve), so for it only a new time or step counts.
      const rearm = by === 'resume' && state.held_reason !== null;
      if (sameInstant(scheduledFor, state.scheduled_for) && !planChanged && !rearm) return [];
      return [rescheduled(state, scheduledFor, d, by)];
    }
    case 'HoldTask': {
      const d = command.data;
      if (state.status !== 'pending' || state.origin !== 'plan') return [];
      if (d.version !== undefined && d.version !== state.version) return [];
      // Held already, for the same reason and to the same slot: a repeat.
      if (state.held_reason === d.reason && sameUntil(state.held_until, d.until)) return [];
      // A paused task waits for its resume; the cap cannot release it into a slot.
      if (state.held_reason === 'paused' && d.reason === 'daily_cap') return [];
      return [
        {
          type: 'TaskHeld',
          data: {
            client_id: state.client_id,
            reason: d.reason,
            from: state.scheduled_for,
            until: d.until,
            version: state.version + 1,
            ...(d.cap !== undefined ? { cap: d.cap } : {}),
            ...(d.time_zone !== undefined ? { time_zone: d.time_zone } : {}),
          },
        },
      ];
    }
    case 'ChangeTaskDetails': {
      const task = existing(state);
      const { priority, notes } = command.data;
      const data = {
        client_id: task.client_id,
        ...(priority !== undefined && priority !== task.priority ? { priority } : {}),
        ...(notes !== undefined && notes !== task.notes ? { notes } : {}),
      };
      return Object.keys(data).length > 1 ? [{ type: 'TaskDetailsChanged', data }] : [];
    }
    case 'CompleteTask': {
      if (command.data.by === 'email') {
        // The email flow reports outcomes at least once; a closed task ignores them.
        if (state.status === 'absent' || !isOpen(state)) return [];
      } else {
        const task = existing(state);
        if (!isOpen(task)) illegal(task, 'complete');
      }
      const task = existing(state);
      return [
        {
          type: 'TaskCompleted',
          data: { client_id: task.client_id, by: command.data.by, email_id: command.data.email_id, completed_at: command.now },
        },
      ];
    }
    case 'SkipTask': {
      const task = existing(state);
      if (!isOpen(task)) illegal(task, 'skip');
      return [{ type: 'TaskSkipped', data: { client_id: task.client_id } }];
    }
    case 'MarkTaskDue': {
      // The timer is a hint; the task's events are the truth: only the current schedule
      // version of a pending task fires, and never before its time.
      if (state.status !== 'pending') return [];
      if (state.version !== command.data.version) return [];
      if (state.held_reason === 'paused') return [];
      if (Date.parse(command.now) < Date.parse(state.scheduled_for)) return [];
      const plan = state.plan;
      return [
        {
          type: 'TaskDue',
          data: {
            client_id: state.client_id,
            followup_type: state.followup_type,
            scheduled_for: state.scheduled_for,
            version: state.version,
            fired_at: command.now,
            // What the ai-agent needs of the step: write an email (or not, for a reminder), and how.
            ...(plan ? { action: plan.action, step_label: plan.step_label, instructions: plan.instructions } : {}),
            // The step's template (issue 10), only when it has one (older TaskDue keep their shape).
            ...(plan?.template_id ? { template_id: plan.template_id, template_use: plan.template_use ?? 'as_is' } : {}),
          },
        },
      ];
    }
    case 'FailTask': {
      if (state.status !== 'pending' && state.status !== 'due') return [];
      return [
        {
          type: 'TaskFailed',
          data: { client_id: state.client_id, reason: storableText(command.data.reason.slice(0, 2000)), email_id: command.data.email_id },
        },
      ];
    }
    case 'CancelTask': {
      // Only tasks not in the middle of an email are cancelled: a `due` task's email is
      // already on its way and completes or fails it.
      if (state.status !== 'pending' && state.status !== 'failed') return [];
      // A rule stops automation only: the agent's own task stays until the agent acts.
      if (!CLIENT_FACTS.includes(command.data.reason) && state.origin !== 'plan') return [];
      return [{ type: 'TaskCancelled', data: { client_id: state.client_id, reason: command.data.reason } }];
    }
    case 'UpdateTask': {
      const { priority, notes, scheduled_for, status } = command.data;
      if (status !== undefined && scheduled_for !== undefined)
        throw new DomainError('validation', 'a task is either closed (status) or rescheduled (scheduled_for), not both', [
          { pointer: '/scheduled_for', detail: 'cannot be combined with status' },
        ]);
      const task = existing(state);
      const parts: TaskCommand[] = [];
      if (priority !== undefined || notes !== undefined)
        parts.push({
          type: 'ChangeTaskDetails',
          data: { ...(priority !== undefined ? { priority } : {}), ...(notes !== undefined ? { notes } : {}) },
        });
      if (scheduled_for !== undefined) parts.push({ type: 'RescheduleTask', data: { scheduled_for }, now: command.now });
      if (status === 'completed') parts.push({ type: 'CompleteTask', data: { by: 'agent', email_id: null }, now: command.now });
      if (status === 'skipped') parts.push({ type: 'SkipTask' });
      return decideAll(parts, task, { agent_id: task.agent_id, aggregate_id: task.id, now: command.now }).events;
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

const sameInstant = (a: string, b: string) => Date.parse(a) === Date.parse(b);
const sameUntil = (a: string | null, b: string | null) => (a === null || b === null ? a === b : sameInstant(a, b));
const samePlan = (a: TaskPlanRef, b: TaskPlanRef | null) => b !== null && JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
const sortKeys = (o: object) => Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : 1)));

function rescheduled(
  task: ExistingTask,
  scheduledFor: string,
  d: { timing?: TaskTiming; plan?: TaskPlanRef },
  by: RescheduleBy,
): TaskEventDraft {
  return {
    type: 'TaskRescheduled',
    data: {
      client_id: task.client_id,
      scheduled_for: scheduledFor,
      previous: task.scheduled_for,
      version: task.version + 1,
      by,
      ...(d.timing ? { timing: d.timing } : {}),
      ...(d.plan ? { plan: d.plan } : {}),
    },
  };
}

/**
 * Decides several commands as one: each sees the state the previous ones lead to, and if
 * any is illegal nothing is decided (so a rejected PATCH leaves no partial change). The
 * events are of distinct types (details, reschedule, close), so their ids — (type, task,
 * cause) — never collide.
 */
function decideAll(
  commands: readonly TaskCommand[],
  state: TaskState,
  envelope: { agent_id: string; aggregate_id: string; now: string },
): { events: TaskEventDraft[]; state: TaskState } {
  const events: TaskEventDraft[] = [];
  let current = state;
  for (const command of commands) {
    for (const draft of decide(command, current)) {
      events.push(draft);
      current = evolve(current, { ...draft, agent_id: envelope.agent_id, aggregate_id: envelope.aggregate_id, occurred_at: envelope.now });
    }
  }
  return { events, state: current };
}

/** The task aggregate as one decider, for the command handler (libs/messaging) and specs. */
export const taskDecider: Decider<TaskCommand, TaskState, TaskEventType> = { initialState, evolve, decide };
