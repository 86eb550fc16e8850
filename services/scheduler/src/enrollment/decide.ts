import type { EnrollmentEndReason, EventData } from '@realtoros/contracts';
import { type Decider, DomainError } from '@realtoros/messaging';
import {
  currentEnrollment,
  type EnrollmentEventDraft,
  type EnrollmentEventType,
  type EnrollmentRecord,
  type EnrollmentState,
  evolveEnrollment,
  findEnrollment,
  initialEnrollmentState,
  liveEnrollment,
} from './enrollment.ts';

/**
 * The enrolment's commands. `manual` ones come from the agent (a wrong state is
 * `illegal_transition`, no enrolment at all `not_found`); the others are rules fed by events
 * that arrive at least once, so whatever does not apply decides nothing.
 */
export type EnrollmentCommand =
  | {
      type: 'EnrollClient';
      data: {
        client_id: string;
        /** deterministicId('enrollment', client, cause): a redelivered cause enrols nobody twice. */
        enrollment_id: string;
        plan: { plan_id: string; name: string; version: number };
        enrolled_at: string;
        source: EventData<'ClientEnrolled'>['source'];
      };
    }
  | {
      type: 'PauseEnrollment';
      /** `enrolled_before` (rules): only an enrolment that began by then (a redelivered old auto-reply pauses no later one). */
      data: {
        reason: 'manual' | 'auto_reply' | 'replied';
        until: string | null;
        manual: boolean;
        command_id?: string;
        enrolled_before?: string;
      };
    }
  | {
      type: 'ResumeEnrollment';
      /** `enrollment_id` (rules): only this enrolment, and only while its pause has an end that has come (an auto-reply's pause). */
      data: { manual: boolean; command_id?: string; enrollment_id?: string };
      now: string;
    }
  | {
      type: 'EndEnrollment';
      data: {
        reason: EnrollmentEndReason;
        manual: boolean;
        /** The agent's command: decided once, a retry of it is a repeat. */
        command_id?: string;
        /** Guards for rules: only this enrolment / only an enrolment in this plan / only one that began by then. */
        enrollment_id?: string;
        plan_id?: string;
        enrolled_before?: string;
      };
    }
  /** A plan edit applied to current enrolments: move a live enrolment of that plan onto `to_version`. */
  | { type: 'MigrateEnrollment'; data: { plan_id: string; to_version: number } };

function manualTarget(state: EnrollmentState, action: string, ok: (r: EnrollmentRecord) => boolean): EnrollmentRecord {
  const r = currentEnrollment(state);
  if (!r) throw new DomainError('not_found', 'the client is not enrolled in a plan');
  if (!ok(r)) throw new DomainError('illegal_transition', `cannot ${action} an enrolment that is ${r.status}`);
  return r;
}

export function decideEnrollment(command: EnrollmentCommand, state: EnrollmentState): EnrollmentEventDraft[] {
  const commandId = 'command_id' in command.data ? command.data.command_id : undefined;
  if (commandId !== undefined && state.causes.includes(commandId)) return [];
  switch (command.type) {
    case 'EnrollClient': {
      const d = command.data;
      // This cause enrolled the client already (however it stands now): a repeat.
      if (findEnrollment(state, d.enrollment_id)) return [];
      const live = liveEnrollment(state);
      // Already in that plan: nothing changes (its progress is kept).
      if (live && live.plan_id === d.plan.plan_id) return [];
      const enrolled: EnrollmentEventDraft = {
        type: 'ClientEnrolled',
        data: {
          client_id: d.client_id,
          enrollment_id: d.enrollment_id,
          plan_id: d.plan.plan_id,
          plan_name: d.plan.name,
          plan_version: d.plan.version,
          enrolled_at: d.enrolled_at,
          source: d.source,
        },
      };
      // One plan at a time: the live one ends, in the same decision.
      return live ? [ended(live, 'replaced'), enrolled] : [enrolled];
    }
    case 'PauseEnrollment': {
      const d = command.data;
      const r = d.manual ? manualTarget(state, 'pause', (e) => e.status === 'active') : liveEnrollment(state);
      // A person's reply outlasts a pause that would end by itself (an out-of-office before
      // it): paused again, until the agent resumes. Any other pause of a paused one is nothing.
      const outlasts = d.reason === 'replied' && d.until === null && r?.status === 'paused' && r.paused_until !== null;
      if (r?.status !== 'active' && !outlasts) return [];
      if (!r) return [];
      if (d.enrolled_before !== undefined && Date.parse(r.enrolled_at) > Date.parse(d.enrolled_before)) return [];
      return [
        { type: 'EnrollmentPaused', data: { client_id: r.client_id, enrollment_id: r.enrollment_id, reason: d.reason, until: d.until } },
      ];
    }
    case 'ResumeEnrollment': {
      const d = command.data;
      const r = d.manual ? manualTarget(state, 'resume', (e) => e.status === 'paused') : liveEnrollment(state);
      if (r?.status !== 'paused') return [];
      // A timed pause's own resume: the agent may have paused it again (no end) or it moved on.
      if (
        d.enrollment_id !== undefined &&
        (d.enrollment_id !== r.enrollment_id || r.paused_until === null || Date.parse(r.paused_until) > Date.parse(command.now))
      )
        return [];
      const paused_ms = Math.max(0, Date.parse(command.now) - Date.parse(r.paused_at ?? command.now));
      return [{ type: 'EnrollmentResumed', data: { client_id: r.client_id, enrollment_id: r.enrollment_id, paused_ms } }];
    }
    case 'EndEnrollment': {
      const d = command.data;
      if (d.manual)
        return [
          ended(
            manualTarget(state, 'end', (e) => e.status !== 'ended'),
            d.reason,
          ),
        ];
      const r = liveEnrollment(state);
      if (!r) return [];
      if (d.enrollment_id !== undefined && d.enrollment_id !== r.enrollment_id) return [];
      if (d.plan_id !== undefined && d.plan_id !== r.plan_id) return [];
      // A fact from before this enrolment began (a replayed bounce, a late stage change) does not end it.
      if (d.enrolled_before !== undefined && Date.parse(r.enrolled_at) > Date.parse(d.enrolled_before)) return [];
      return [ended(r, d.reason)];
    }
    case 'MigrateEnrollment': {
      const d = command.data;
      const r = liveEnrollment(state);
      if (!r || r.plan_id !== d.plan_id || r.plan_version >= d.to_version) return [];
      return [
        {
          type: 'EnrollmentMigrated',
          data: {
            client_id: r.client_id,
            enrollment_id: r.enrollment_id,
            plan_id: r.plan_id,
            from_version: r.plan_version,
            to_version: d.to_version,
          },
        },
      ];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

function ended(r: EnrollmentRecord, reason: EnrollmentEndReason): EnrollmentEventDraft {
  return { type: 'EnrollmentEnded', data: { client_id: r.client_id, enrollment_id: r.enrollment_id, plan_id: r.plan_id, reason } };
}

/** The enrolment aggregate as one decider, for the command handler and specs. */
export const enrollmentDecider: Decider<EnrollmentCommand, EnrollmentState, EnrollmentEventType> = {
  initialState: initialEnrollmentState,
  evolve: evolveEnrollment,
  decide: decideEnrollment,
};
