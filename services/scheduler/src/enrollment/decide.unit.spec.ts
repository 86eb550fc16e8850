import type { Envelope } from '@realtoros/contracts';
import { deciderSpec } from '@realtoros/testing';
import { describe, expect, it } from 'vitest';
import { type EnrollmentCommand, enrollmentDecider } from './decide.ts';
import { anchorOf, type EnrollmentEventDraft, type EnrollmentEventType, liveEnrollment } from './enrollment.ts';

const AGENT = '0190a000-0000-7000-8000-000000000001';
const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const PLAN_A = '0190a000-0000-7000-8000-0000000000a1';
const PLAN_B = '0190a000-0000-7000-8000-0000000000a2';
const E1 = '0190a000-0000-7000-8000-0000000000e1';
const E2 = '0190a000-0000-7000-8000-0000000000e2';
const T0 = '2026-11-21T10:00:00.000Z';
const T1 = '2026-11-22T10:00:00.000Z';
const T2 = '2026-11-24T10:00:00.000Z';

const spec = deciderSpec(enrollmentDecider, { agentId: AGENT, aggregateId: CLIENT, occurredAt: T0 });

const enrolled = (id = E1, plan = PLAN_A, version = 1): Extract<EnrollmentEventDraft, { type: 'ClientEnrolled' }> => ({
  type: 'ClientEnrolled',
  data: {
    client_id: CLIENT,
    enrollment_id: id,
    plan_id: plan,
    plan_name: plan === PLAN_A ? 'New lead' : 'Closing',
    plan_version: version,
    enrolled_at: T0,
    source: 'created',
  },
});
const ended = (reason: 'replaced' | 'manual' | 'stage_lost' | 'bounced', id = E1, plan = PLAN_A): EnrollmentEventDraft => ({
  type: 'EnrollmentEnded',
  data: { client_id: CLIENT, enrollment_id: id, plan_id: plan, reason },
});
/** A stored event at a given time (the decider reads when a pause began from the envelope). */
const at = (draft: EnrollmentEventDraft, occurredAt: string, causationId: string | null = null): Envelope<EnrollmentEventType> =>
  ({
    id: `0190a000-0000-7000-8000-${Math.random().toString(16).slice(2, 14).padEnd(12, '0')}`,
    type: draft.type,
    schema: 1,
    agent_id: AGENT,
    aggregate: 'enrollment',
    aggregate_id: CLIENT,
    occurred_at: occurredAt,
    correlation_id: 'spec',
    causation_id: causationId,
    data: draft.data,
  }) as Envelope<EnrollmentEventType>;
const paused: EnrollmentEventDraft = {
  type: 'EnrollmentPaused',
  data: { client_id: CLIENT, enrollment_id: E1, reason: 'manual', until: null },
};

const enroll = (id: string, plan: string, source: 'created' | 'stage' | 'manual' = 'stage', version = 1): EnrollmentCommand => ({
  type: 'EnrollClient',
  data: {
    client_id: CLIENT,
    enrollment_id: id,
    plan: { plan_id: plan, name: plan === PLAN_A ? 'New lead' : 'Closing', version },
    enrolled_at: T0,
    source,
  },
});
const manual = (action: 'pause' | 'resume' | 'end', now = T2, command_id?: string): EnrollmentCommand =>
  action === 'pause'
    ? { type: 'PauseEnrollment', data: { reason: 'manual', until: null, manual: true, ...(command_id ? { command_id } : {}) } }
    : action === 'resume'
      ? { type: 'ResumeEnrollment', data: { manual: true, ...(command_id ? { command_id } : {}) }, now }
      : { type: 'EndEnrollment', data: { reason: 'manual', manual: true, ...(command_id ? { command_id } : {}) } };
const ruleEnd = (data: Partial<Extract<EnrollmentCommand, { type: 'EndEnrollment' }>['data']> = {}): EnrollmentCommand => ({
  type: 'EndEnrollment',
  data: { reason: 'stage_lost', manual: false, ...data },
});

describe('enrolment decider', () => {
  describe('EnrollClient', () => {
    it('given no enrolment, then ClientEnrolled', () => {
      spec
        .given([])
        .when(enroll(E1, PLAN_A, 'created'))
        .then([{ ...enrolled(), data: { ...enrolled().data, source: 'created' } }]);
    });
    it('given a live enrolment in another plan, then EnrollmentEnded {replaced} and ClientEnrolled, in one decision', () => {
      spec
        .given([enrolled()])
        .when(enroll(E2, PLAN_B))
        .then([ended('replaced'), { ...enrolled(E2, PLAN_B), data: { ...enrolled(E2, PLAN_B).data, source: 'stage' } }]);
    });
    it('given a paused enrolment in another plan, it is replaced too', () => {
      const [first] = spec.given([enrolled(), paused]).when(enroll(E2, PLAN_B)).decided();
      expect(first).toEqual(ended('replaced'));
    });
    it('given a live enrolment in the same plan, then nothing (progress kept)', () => {
      spec.given([enrolled()]).when(enroll(E2, PLAN_A)).then([]);
      spec.given([enrolled(), paused]).when(enroll(E2, PLAN_A)).then([]);
    });
    it('given an ended enrolment in that plan, the client may join it again', () => {
      const [d] = spec
        .given([enrolled(), ended('manual')])
        .when(enroll(E2, PLAN_A))
        .decided();
      expect(d).toMatchObject({ type: 'ClientEnrolled', data: { enrollment_id: E2 } });
    });
    it('the same cause again (its enrolment id is known), however it stands now → nothing', () => {
      spec.given([enrolled()]).when(enroll(E1, PLAN_B)).then([]);
      spec
        .given([enrolled(), ended('stage_lost')])
        .when(enroll(E1, PLAN_A))
        .then([]);
    });
  });

  describe('pause and resume', () => {
    it('active → paused (until null: until the agent resumes)', () => {
      spec.given([enrolled()]).when(manual('pause')).then([paused]);
    });
    it('paused → active with the time it was paused', () => {
      spec
        .given([enrolled(), at(paused, T1)])
        .when(manual('resume', T2))
        .then([{ type: 'EnrollmentResumed', data: { client_id: CLIENT, enrollment_id: E1, paused_ms: 2 * 86_400_000 } }]);
    });
    it('the anchor moves on by the total time paused', () => {
      const resumed: EnrollmentEventDraft = {
        type: 'EnrollmentResumed',
        data: { client_id: CLIENT, enrollment_id: E1, paused_ms: 3_600_000 },
      };
      const state = spec.given([enrolled(), paused, resumed, paused, resumed]).state();
      const r = liveEnrollment(state);
      expect(r && anchorOf(r)).toBe('2026-11-21T12:00:00.000Z');
    });
    it('manual commands on the wrong state → illegal_transition; with no enrolment → not_found', () => {
      spec.given([enrolled(), paused]).when(manual('pause')).thenThrows('illegal_transition');
      spec.given([enrolled()]).when(manual('resume')).thenThrows('illegal_transition');
      spec
        .given([enrolled(), ended('manual')])
        .when(manual('pause'))
        .thenThrows('illegal_transition');
      spec
        .given([enrolled(), ended('manual')])
        .when(manual('resume'))
        .thenThrows('illegal_transition');
      spec.given([]).when(manual('pause')).thenThrows('not_found');
    });
    it("the agent's retried command (its id already wrote an event) → nothing", () => {
      spec
        .given([enrolled(), at(paused, T1, 'cmd-1')])
        .when(manual('pause', T2, 'cmd-1'))
        .then([]);
    });
    it('an auto-reply from before the enrolment began (a redelivery, a replay) pauses nothing; one after it pauses until its end', () => {
      spec
        .given([enrolled()])
        .when({
          type: 'PauseEnrollment',
          data: { reason: 'auto_reply', until: T2, manual: false, enrolled_before: '2026-11-20T10:00:00.000Z' },
        })
        .then([]);
      spec
        .given([enrolled()])
        .when({ type: 'PauseEnrollment', data: { reason: 'auto_reply', until: T2, manual: false, enrolled_before: T1 } })
        .then([{ type: 'EnrollmentPaused', data: { client_id: CLIENT, enrollment_id: E1, reason: 'auto_reply', until: T2 } }]);
    });
    it("a person's reply on a plan that pauses: active → paused until resumed; a timed (out-of-office) pause becomes open-ended, counted from its start; an open pause stays", () => {
      const replied: EnrollmentCommand = {
        type: 'PauseEnrollment',
        data: { reason: 'replied', until: null, manual: false, enrolled_before: T1 },
      };
      const pausedByReply: EnrollmentEventDraft = {
        type: 'EnrollmentPaused',
        data: { client_id: CLIENT, enrollment_id: E1, reason: 'replied', until: null },
      };
      spec.given([enrolled()]).when(replied).then([pausedByReply]);
      const outOfOffice = at(
        { type: 'EnrollmentPaused', data: { client_id: CLIENT, enrollment_id: E1, reason: 'auto_reply', until: T2 } },
        T1,
      );
      spec.given([enrolled(), outOfOffice]).when(replied).then([pausedByReply]);
      const r = liveEnrollment(spec.given([enrolled(), outOfOffice, at(pausedByReply, T2)]).state());
      expect(r).toMatchObject({ status: 'paused', paused_at: T1, paused_until: null });
      spec.given([enrolled(), paused]).when(replied).then([]);
      // Its timed resume then finds an open pause: nothing.
      spec
        .given([enrolled(), outOfOffice, at(pausedByReply, T2)])
        .when({ type: 'ResumeEnrollment', data: { manual: false, enrollment_id: E1 }, now: '2026-12-01T10:00:00.000Z' })
        .then([]);
    });
    it('rule-driven pause/resume on the wrong state → nothing', () => {
      spec
        .given([enrolled(), paused])
        .when({ type: 'PauseEnrollment', data: { reason: 'auto_reply', until: T2, manual: false } })
        .then([]);
      spec
        .given([])
        .when({ type: 'ResumeEnrollment', data: { manual: false }, now: T2 })
        .then([]);
    });
  });

  describe('EndEnrollment', () => {
    it('the agent ends a live (active or paused) enrolment → EnrollmentEnded {manual}; an ended one → illegal_transition', () => {
      spec
        .given([enrolled()])
        .when(manual('end'))
        .then([ended('manual')]);
      spec
        .given([enrolled(), paused])
        .when(manual('end'))
        .then([ended('manual')]);
      spec
        .given([enrolled(), ended('stage_lost')])
        .when(manual('end'))
        .thenThrows('illegal_transition');
      spec.given([]).when(manual('end')).thenThrows('not_found');
    });
    it('a rule ends the live enrolment with its reason; with none live → nothing', () => {
      spec
        .given([enrolled()])
        .when(ruleEnd())
        .then([ended('stage_lost')]);
      spec
        .given([enrolled(), ended('manual')])
        .when(ruleEnd())
        .then([]);
      spec
        .given([])
        .when(ruleEnd({ reason: 'bounced' }))
        .then([]);
    });
    it('rule guards: another enrolment, another plan, or one that began after the fact → nothing', () => {
      spec
        .given([enrolled()])
        .when(ruleEnd({ enrollment_id: E2 }))
        .then([]);
      spec
        .given([enrolled()])
        .when(ruleEnd({ plan_id: PLAN_B, reason: 'replaced' }))
        .then([]);
      spec
        .given([enrolled()])
        .when(ruleEnd({ enrolled_before: '2026-11-20T00:00:00.000Z', reason: 'bounced' }))
        .then([]);
      spec
        .given([enrolled()])
        .when(ruleEnd({ enrolled_before: T1, reason: 'bounced' }))
        .then([ended('bounced')]);
    });
  });

  describe('MigrateEnrollment', () => {
    it('a live enrolment of that plan on an older version → EnrollmentMigrated; already on it, another plan, or ended → nothing', () => {
      spec
        .given([enrolled()])
        .when({ type: 'MigrateEnrollment', data: { plan_id: PLAN_A, to_version: 3 } })
        .then([
          { type: 'EnrollmentMigrated', data: { client_id: CLIENT, enrollment_id: E1, plan_id: PLAN_A, from_version: 1, to_version: 3 } },
        ]);
      spec
        .given([enrolled(E1, PLAN_A, 3)])
        .when({ type: 'MigrateEnrollment', data: { plan_id: PLAN_A, to_version: 3 } })
        .then([]);
      spec
        .given([enrolled()])
        .when({ type: 'MigrateEnrollment', data: { plan_id: PLAN_B, to_version: 3 } })
        .then([]);
      spec
        .given([enrolled(), ended('manual')])
        .when({ type: 'MigrateEnrollment', data: { plan_id: PLAN_A, to_version: 3 } })
        .then([]);
    });
    it('a paused enrolment migrates too (its steps stay held until the resume)', () => {
      const [d] = spec
        .given([enrolled(), paused])
        .when({ type: 'MigrateEnrollment', data: { plan_id: PLAN_A, to_version: 2 } })
        .decided();
      expect(d?.type).toBe('EnrollmentMigrated');
    });
  });
});
