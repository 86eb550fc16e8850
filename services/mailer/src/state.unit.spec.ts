import type { Envelope, EventType } from '@realtoros/contracts';
import { describe, expect, it } from 'vitest';
import { fold } from './email/email.ts';
import { type AttemptRecord, outcomeOf, recordFollowing } from './state.ts';

const AGENT = '0190a000-0000-7000-8000-000000000001';
const EMAIL = '0190a000-0000-7000-8000-0000000000e1';
const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const RESEND = '0190a000-0000-7000-8000-0000000000f1';
const T = '2026-11-21T10:00:00.000Z';
const NOW = new Date('2026-11-21T11:00:00.000Z');

const rec = (over: Partial<AttemptRecord> = {}): AttemptRecord => ({
  agent_id: AGENT,
  client_id: CLIENT,
  task_id: null,
  to_email: 'maria@example.com',
  provider: 'sendgrid',
  state: 'sending',
  attempts: 1,
  message_id: null,
  sent_at: null,
  reason: null,
  updated_at: T,
  attempted_at: T,
  ...over,
});
let n = 0;
const ev = (type: EventType, data: unknown, id?: string): Envelope =>
  ({
    id: id ?? `0190a000-0000-7000-8000-${String(++n).padStart(12, '0')}`,
    type,
    schema: 1,
    agent_id: AGENT,
    aggregate: 'email',
    aggregate_id: EMAIL,
    occurred_at: T,
    correlation_id: 'c',
    causation_id: null,
    data,
  }) as Envelope;
const generated = ev('EmailGenerated', {
  task_id: null,
  client_id: CLIENT,
  followup_type: 'Day 1',
  to_email: 'maria@example.com',
  to_name: 'Maria',
  subject: 's',
  body: 'b',
  provider: 'template',
  model: 'm',
  prompt_version: 'p',
  fallback_reason: null,
});
const unknown = ev('EmailSendUnknown', { task_id: null, client_id: CLIENT, provider: 'sendgrid', reason: 'interrupted' });
const sentByProvider = ev('EmailSent', {
  task_id: null,
  client_id: CLIENT,
  to_email: 'maria@example.com',
  provider: 'sendgrid',
  message_id: 'from-report',
  sent_at: T,
  attempts: 1,
  confirmed_by: 'provider',
});

describe('the attempt record', () => {
  it('read as an outcome: still `sending` is an answer lost during the call (send or resend), never a reason to send again', () => {
    expect(outcomeOf(rec())).toEqual({
      kind: 'unknown',
      provider: 'sendgrid',
      attempts: 1,
      attempted_at: T,
      reason: 'interrupted during send attempt 1; the provider may have accepted it, so it is not resent',
    });
    expect(outcomeOf(rec({ resend_id: RESEND, attempts: 2 }))).toMatchObject({
      kind: 'unknown',
      reason: expect.stringMatching(/^interrupted during resend attempt 2/),
    });
    expect(outcomeOf(rec({ state: 'sent', message_id: 'm-1', sent_at: T }))).toEqual({
      kind: 'sent',
      provider: 'sendgrid',
      attempts: 1,
      message_id: 'm-1',
      sent_at: T,
    });
    expect(outcomeOf(rec({ state: 'failed', reason: '400 bad' }))).toMatchObject({ kind: 'failed', reason: '400 bad' });
    expect(outcomeOf(rec({ state: 'suppressed', reason: 'bounced' }))).toEqual({ kind: 'suppressed', reason: 'bounced' });
  });

  it('follows the events: settled by a report → sent, confirmed by the provider, with the message id it carried', () => {
    expect(recordFollowing(rec({ state: 'unknown' }), fold([generated, unknown, sentByProvider]), NOW)).toMatchObject({
      state: 'sent',
      confirmed_by: 'provider',
      message_id: 'from-report',
      sent_at: T,
      reason: 'confirmed sent by SendGrid',
      updated_at: NOW.toISOString(),
    });
  });

  it('follows the events: a lost answer → unknown; nothing to change when it already agrees', () => {
    expect(recordFollowing(rec(), fold([generated, unknown]), NOW)).toMatchObject({ state: 'unknown', reason: 'interrupted' });
    expect(recordFollowing(rec({ state: 'unknown' }), fold([generated, unknown]), NOW)).toBeNull();
  });

  it('never touches a record that belongs to another round, nor one whose round is still open', () => {
    const resending = fold([generated, unknown, ev('EmailResendRequested', { task_id: null, client_id: CLIENT }, RESEND)]);
    expect(recordFollowing(rec({ state: 'unknown' }), fold([generated, unknown, sentByProvider]), NOW)).not.toBeNull();
    expect(recordFollowing(rec({ resend_id: RESEND }), fold([generated, unknown]), NOW)).toBeNull(); // a first-round state, a resend's record
    expect(recordFollowing(rec({ resend_id: RESEND }), resending, NOW)).toBeNull(); // still sending
    expect(recordFollowing(rec(), fold([generated]), NOW)).toBeNull();
  });
});
