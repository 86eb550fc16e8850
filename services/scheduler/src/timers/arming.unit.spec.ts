import { newEvent } from '@realtoros/messaging';
import { describe, expect, it } from 'vitest';
import { timerOf } from './arming.ts';

const AGENT = '0190a000-0000-7000-8000-000000000001';
const TASK = '0190a000-0000-7000-8000-0000000000a1';
const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const base = { agentId: AGENT, aggregateId: TASK, correlationId: 't', causationId: null };
const FROM = '2026-11-24T15:00:00.000Z';
const UNTIL = '2026-11-25T14:12:00.000Z';

describe('arming: which task events park a timer', () => {
  it('a schedule, a move, and a daily-cap hold arm their version at its time', () => {
    const scheduled = newEvent('TaskScheduled', {
      ...base,
      data: { client_id: CLIENT, followup_type: 'Day 1', scheduled_for: FROM, priority: 'high', notes: null, version: 1, origin: 'plan' },
    });
    expect(timerOf(scheduled)).toEqual({ agent_id: AGENT, task_id: TASK, version: 1, at: Date.parse(FROM) });
    const moved = newEvent('TaskRescheduled', {
      ...base,
      data: { client_id: CLIENT, scheduled_for: UNTIL, previous: FROM, version: 2, by: 'resume' },
    });
    expect(timerOf(moved)).toEqual({ agent_id: AGENT, task_id: TASK, version: 2, at: Date.parse(UNTIL) });
    const capped = newEvent('TaskHeld', {
      ...base,
      data: { client_id: CLIENT, reason: 'daily_cap', from: FROM, until: UNTIL, version: 3, cap: 150, time_zone: 'UTC' },
    });
    expect(timerOf(capped)).toEqual({ agent_id: AGENT, task_id: TASK, version: 3, at: Date.parse(UNTIL) });
  });
  it('a pause hold (until null) arms nothing: the resume reschedules it; nor does any other event', () => {
    const paused = newEvent('TaskHeld', { ...base, data: { client_id: CLIENT, reason: 'paused', from: FROM, until: null, version: 2 } });
    expect(timerOf(paused)).toBeNull();
    expect(timerOf(newEvent('TaskSkipped', { ...base, data: { client_id: CLIENT } }))).toBeNull();
  });
  it("an enrolment paused until a time (an auto-reply) arms its own resume; a pause until the agent resumes arms nothing", () => {
    const ENROLLMENT = '0190a000-0000-7000-8000-0000000000e1';
    const onEnrollment = { ...base, aggregateId: CLIENT };
    const until = newEvent('EnrollmentPaused', { ...onEnrollment, data: { client_id: CLIENT, enrollment_id: ENROLLMENT, reason: 'auto_reply', until: UNTIL } });
    expect(timerOf(until)).toEqual({ agent_id: AGENT, task_id: ENROLLMENT, version: 0, at: Date.parse(UNTIL), resume_client_id: CLIENT });
    const manual = newEvent('EnrollmentPaused', { ...onEnrollment, data: { client_id: CLIENT, enrollment_id: ENROLLMENT, reason: 'manual', until: null } });
    expect(timerOf(manual)).toBeNull();
  });
});
