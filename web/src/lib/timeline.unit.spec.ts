import { describe, expect, it } from 'vitest';
import { describeEvent } from './timeline.ts';

const at = '2026-11-21T12:00:00.000Z';
const ev = (type: string, data: unknown) => ({ stream: 'X', seq: 1, type, occurred_at: at, data });
const now = new Date(at);

describe('timeline wording', () => {
  it('describes the product’s key events', () => {
    expect(describeEvent(ev('ClientStageChanged', { from: 'lead', to: 'under_contract' }), 'UTC', now).detail).toBe(
      'Lead → Under contract',
    );
    expect(
      describeEvent(ev('ClientStageChanged', { from: 'lead', to: 'qualified', changes: { phone: '555-0101', notes: 'x' } }), 'UTC', now)
        .detail,
    ).toBe('Lead → Qualified; changed phone, notes');
    expect(describeEvent(ev('TaskScheduled', { followup_type: 'Day 1', scheduled_for: at, origin: 'plan' }), 'UTC', now).title).toBe(
      'Day 1 scheduled',
    );
    expect(describeEvent(ev('EmailGenerated', { subject: 'Hi' }), 'UTC', now).detail).toBe('“Hi”');
    expect(describeEvent(ev('EmailBounced', { reason: 'mailbox full' }), 'UTC', now)).toMatchObject({
      title: 'Email bounced',
      tone: 'danger',
    });
    expect(describeEvent(ev('EmailOpened', {}), 'UTC', now).title).toBe('Email opened');
  });
  it('tells an email the agent marked as sent, or chose to send again, from one the mailer sent', () => {
    const sent = { to_email: 'a@example.com', provider: 'sendgrid', message_id: 'm' };
    expect(describeEvent(ev('EmailSent', sent), 'UTC', now)).toMatchObject({
      title: 'Email sent',
      detail: 'to a@example.com via sendgrid',
    });
    expect(describeEvent(ev('EmailSent', { ...sent, message_id: 'unknown', confirmed_by: 'agent' }), 'UTC', now)).toMatchObject({
      title: 'Email marked as sent',
      detail: 'You confirmed it was delivered',
    });
    expect(describeEvent(ev('EmailResendRequested', {}), 'UTC', now).title).toBe('Sending the email again');
  });
  it('says why a follow-up was cancelled, including the stage stop rule', () => {
    expect(describeEvent(ev('TaskCancelled', { reason: 'stage_lost' }), 'UTC', now)).toMatchObject({
      title: 'Follow-up cancelled',
      detail: 'Automated follow-ups stop: the client was marked lost',
    });
    expect(describeEvent(ev('TaskCancelled', { reason: 'stage_closed' }), 'UTC', now).detail).toBe(
      'Automated follow-ups stop: the client was marked closed',
    );
    expect(describeEvent(ev('TaskCancelled', { reason: 'client_deleted' }), 'UTC', now).detail).toBe('Client deleted');
  });
  it('tells the enrolment’s story: enrolled, paused, resumed, ended with its reason; held steps', () => {
    expect(
      describeEvent(ev('ClientEnrolled', { plan_name: 'New lead', plan_version: 3, source: 'stage', enrolled_at: at }), 'UTC', now),
    ).toMatchObject({ title: 'Enrolled in “New lead”', detail: 'version 3 · by its stage' });
    expect(describeEvent(ev('EnrollmentPaused', { reason: 'manual', until: null }), 'UTC', now)).toMatchObject({
      title: 'Plan paused',
      detail: 'by you',
    });
    expect(describeEvent(ev('EnrollmentPaused', { reason: 'replied', until: null }), 'UTC', now).detail).toBe(
      'The client replied — resume the plan when you are ready',
    );
    expect(describeEvent(ev('EnrollmentResumed', { paused_ms: 1000 }), 'UTC', now).title).toBe('Plan resumed');
    expect(describeEvent(ev('EnrollmentEnded', { reason: 'replaced' }), 'UTC', now)).toMatchObject({
      title: 'Plan ended',
      detail: 'because the client was enrolled in another plan',
    });
    expect(describeEvent(ev('TaskCancelled', { reason: 'replaced' }), 'UTC', now).detail).toBe(
      'The plan ended: the client was enrolled in another plan',
    );
    expect(describeEvent(ev('TaskHeld', { reason: 'daily_cap', until: '2026-11-22T14:05:00.000Z' }), 'UTC', now)).toMatchObject({
      title: 'Follow-up held back',
      detail: 'Daily cap reached · goes Nov 22, 2:05 PM',
    });
  });
  it('never fails on an unknown event', () => {
    expect(describeEvent(ev('SomethingNewHappened', null), 'UTC', now).title).toBe('Something New Happened');
  });
});
