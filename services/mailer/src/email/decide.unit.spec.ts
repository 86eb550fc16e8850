import type { Envelope, EventData, EventType } from '@realtoros/contracts';
import { type DomainError, newEvent } from '@realtoros/messaging';
import { deciderSpec } from '@realtoros/testing';
import { describe, expect, it } from 'vitest';
import { awaitingOutcome, decide, type EmailCommand, emailDecider, type Outcome, type WebhookReport } from './decide.ts';
import { fold } from './email.ts';

const AGENT = '0190a000-0000-7000-8000-000000000001';
const EMAIL = '0190a000-0000-7000-8000-0000000000e1';
const TASK = '0190a000-0000-7000-8000-0000000000a1';
const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const RESEND = '0190a000-0000-7000-8000-0000000000f1';
const RESEND_2 = '0190a000-0000-7000-8000-0000000000f2';
const T_GENERATED = '2026-11-21T10:00:00.000Z';
const T_ATTEMPT = '2026-11-21T10:00:01.000Z';
const T_UNKNOWN = '2026-11-21T10:01:00.000Z';
const T_REPORT = '2026-11-21T10:02:00.000Z';

const ref = { task_id: TASK, client_id: CLIENT };
let n = 0;
/** A stored event, as the event store returns it (the resend requests keep fixed ids: rounds are keyed on them). */
function stored<T extends EventType>(type: T, data: EventData<T>, at = T_GENERATED, id?: string): Envelope {
  const eventId = id ?? `0190a000-0000-7000-8000-${String(++n).padStart(12, '0')}`;
  return {
    id: eventId,
    type,
    schema: 1,
    agent_id: AGENT,
    aggregate: 'email',
    aggregate_id: EMAIL,
    occurred_at: at,
    correlation_id: 'c',
    causation_id: null,
    data,
  } as Envelope;
}

const generated = stored('EmailGenerated', {
  ...ref,
  followup_type: 'Day 1',
  to_email: 'maria@example.com',
  to_name: 'Maria Lopez',
  subject: 'Hi',
  body: 'Hello',
  provider: 'template',
  model: 'template-v1',
  prompt_version: 'followup-v1',
  fallback_reason: null,
});
const sent = stored('EmailSent', {
  ...ref,
  to_email: 'maria@example.com',
  provider: 'sendgrid',
  message_id: 'msg-1',
  sent_at: T_ATTEMPT,
  attempts: 1,
});
const failed = stored('EmailFailed', { ...ref, provider: 'sendgrid', reason: '400 bad address', attempts: 1 });
const suppressed = stored('EmailSuppressed', { ...ref, to_email: 'maria@example.com', reason: 'bounced' });
const unknown = stored('EmailSendUnknown', { ...ref, provider: 'sendgrid', reason: 'interrupted' }, T_UNKNOWN);
const resendRequested = (id = RESEND) => stored('EmailResendRequested', ref, T_UNKNOWN, id);
const report = (event: string, over: Partial<WebhookReport> = {}): WebhookReport => ({
  sg_event_id: `sg-${event}`,
  event,
  timestamp: T_REPORT,
  ...over,
});
const reported = (event: string, over: Partial<WebhookReport> = {}): Envelope => {
  const drafts = decide({ type: 'RecordProviderReport', report: report(event, over), ref, attempt: null }, fold([]));
  const d = drafts[0]!;
  return stored(d.type, d.data as never, T_REPORT);
};

const spec = deciderSpec(emailDecider, { agentId: AGENT, aggregateId: EMAIL });
/** given [events], when command: `.then([drafts])`, `.thenThrows(code)` or `.decided()`. */
const given = (...events: Envelope[]) => spec.given(events as never[]);
const state = (...events: Envelope[]) => fold(events);
function thenThrows(command: EmailCommand, events: Envelope[], code: DomainError['code'], detail?: RegExp) {
  const err = given(...events)
    .when(command)
    .thenThrows(code);
  if (detail) expect(err.message).toMatch(detail);
}

const recordOutcome = (outcome: Outcome, round: string | null = null): EmailCommand => ({ type: 'RecordOutcome', round, outcome });
const sentOutcome: Outcome = { kind: 'sent', provider: 'sendgrid', message_id: 'msg-9', sent_at: T_ATTEMPT, attempts: 2 };
const unknownOutcome: Outcome = {
  kind: 'unknown',
  provider: 'sendgrid',
  reason: 'interrupted during send attempt 1',
  attempts: 1,
  attempted_at: T_ATTEMPT,
};
const attempt = { attempts: 2, attempted_at: T_ATTEMPT };

describe('email decider', () => {
  describe('evolve', () => {
    it('walks generated → unknown → resending → sent; reports never move the status', () => {
      expect(state().status).toBe('absent');
      expect(state(generated)).toMatchObject({ status: 'generated', round: null, to_email: 'maria@example.com', task_id: TASK });
      expect(state(generated, unknown)).toMatchObject({ status: 'unknown', provider: 'sendgrid', since: T_UNKNOWN });
      expect(state(generated, unknown, resendRequested())).toMatchObject({ status: 'resending', round: RESEND, provider: 'sendgrid' });
      expect(state(generated, unknown, resendRequested(), sent)).toMatchObject({ status: 'sent', round: RESEND, message_id: 'msg-1' });
      expect(state(generated, sent, reported('bounce'), reported('open')).status).toBe('sent');
      expect(state(generated, failed).status).toBe('failed');
      expect(state(generated, suppressed).status).toBe('suppressed');
    });

    it('a report before anything else is kept; the EmailGenerated still starts the email', () => {
      const s = state(reported('delivered', { sg_message_id: 'm.1' }), generated);
      expect(s).toMatchObject({
        status: 'generated',
        reports: { ids: ['sg-delivered'], proof: { event: 'delivered', sg_message_id: 'm.1' } },
      });
    });

    it('an email generated twice keeps its first generation', () => {
      const again = stored('EmailGenerated', { ...(generated.data as EventData<'EmailGenerated'>), to_email: 'other@example.com' });
      expect(state(generated, again)).toMatchObject({ status: 'generated', to_email: 'maria@example.com' });
    });

    it('a report repeated with the same sg_event_id is counted once; the first proof and the first drop are kept', () => {
      const s = state(
        generated,
        reported('dropped', { reason: 'Bounced Address' }),
        reported('dropped'),
        reported('open'),
        reported('click'),
      );
      expect(s.reports).toEqual({
        ids: ['sg-dropped', 'sg-open', 'sg-click'],
        proof: { sg_event_id: 'sg-open', event: 'open' },
        drop: { sg_event_id: 'sg-dropped', event: 'dropped', reason: 'Bounced Address' },
      });
    });
  });

  describe('RecordOutcome (first round)', () => {
    it('given EmailGenerated, when the provider accepted it, then EmailSent with its message id', () => {
      given(generated)
        .when(recordOutcome(sentOutcome))
        .then([
          {
            type: 'EmailSent',
            data: { ...ref, to_email: 'maria@example.com', provider: 'sendgrid', message_id: 'msg-9', sent_at: T_ATTEMPT, attempts: 2 },
          },
        ]);
    });

    it('given EmailGenerated, when the provider refused it, then EmailFailed with its reason (cut to 2000 characters)', () => {
      const reason = `400 ${'x'.repeat(3000)}`;
      const [e] = given(generated)
        .when(recordOutcome({ kind: 'failed', provider: 'sendgrid', reason, attempts: 1 }))
        .decided();
      expect(e).toEqual({ type: 'EmailFailed', data: { ...ref, provider: 'sendgrid', reason: reason.slice(0, 2000), attempts: 1 } });
    });

    it('given EmailGenerated, when a refusal is cut through an emoji, then the reason stays storable (no lone surrogate)', () => {
      // An emoji straddling the cut would leave half a surrogate pair, which Text() (and so
      // newEvent) refuses: the outcome could then never be recorded, on any redelivery.
      const reason = `${'x'.repeat(1999)}😀 and more`;
      const [e] = given(generated)
        .when(recordOutcome({ kind: 'failed', provider: 'sendgrid', reason, attempts: 1 }))
        .decided();
      if (e?.type !== 'EmailFailed') throw new Error(`expected EmailFailed, got ${e?.type}`);
      const cut = e.data.reason;
      expect(cut).toHaveLength(2000);
      expect(cut.isWellFormed()).toBe(true);
      expect(() =>
        newEvent('EmailFailed', { agentId: AGENT, aggregateId: EMAIL, correlationId: 'c', causationId: null, data: e.data }),
      ).not.toThrow();
    });

    it('given EmailGenerated, when suppressed, then EmailSuppressed with the reason', () => {
      given(generated)
        .when(recordOutcome({ kind: 'suppressed', reason: 'unsubscribed' }))
        .then([{ type: 'EmailSuppressed', data: { ...ref, to_email: 'maria@example.com', reason: 'unsubscribed' } }]);
    });

    it('given EmailGenerated, when the answer was lost, then EmailSendUnknown (never resent by itself)', () => {
      given(generated)
        .when(recordOutcome(unknownOutcome))
        .then([{ type: 'EmailSendUnknown', data: { ...ref, provider: 'sendgrid', reason: 'interrupted during send attempt 1' } }]);
    });

    it('given EmailGenerated and a report proving it went out, when the answer was lost, then EmailSent confirmed by the provider', () => {
      const events = [generated, reported('dropped'), reported('delivered', { sg_message_id: 'lost-answer.filter0001.1.0' })];
      given(...events)
        .when(recordOutcome(unknownOutcome))
        .then([
          {
            type: 'EmailSent',
            data: {
              ...ref,
              to_email: 'maria@example.com',
              provider: 'sendgrid',
              message_id: 'lost-answer',
              sent_at: T_ATTEMPT,
              attempts: 1,
              confirmed_by: 'provider',
            },
          },
        ]);
    });

    it('given EmailGenerated and only a drop, when the answer was lost, then EmailFailed (SendGrid dropped it)', () => {
      given(generated, reported('dropped', { reason: 'Bounced Address' }))
        .when(recordOutcome(unknownOutcome))
        .then([
          { type: 'EmailFailed', data: { ...ref, provider: 'sendgrid', reason: 'SendGrid dropped it: Bounced Address', attempts: 1 } },
        ]);
    });

    it('given an outcome already recorded, when any outcome again (a redelivery), then nothing', () => {
      for (const outcome of [sent, failed, suppressed, unknown]) {
        given(generated, outcome).when(recordOutcome(sentOutcome)).then([]);
        given(generated, outcome).when(recordOutcome(unknownOutcome)).then([]);
      }
    });

    it('given a resend under way, when the first round is redelivered, then nothing (the record belongs to the resend)', () => {
      given(generated, unknown, resendRequested()).when(recordOutcome(unknownOutcome)).then([]);
    });

    it('given nothing, when RecordOutcome, then not found', () => {
      thenThrows(recordOutcome(sentOutcome), [], 'not_found');
    });
  });

  describe('RecordOutcome (a resend round)', () => {
    const resending = [generated, unknown, resendRequested()];
    it('given EmailResendRequested, when its round is sent, then EmailSent', () => {
      expect(
        given(...resending)
          .when(recordOutcome(sentOutcome, RESEND))
          .decided()
          .map((e) => e.type),
      ).toEqual(['EmailSent']);
    });
    it('given EmailResendRequested, when its round is suppressed, then EmailSuppressed', () => {
      expect(
        given(...resending)
          .when(recordOutcome({ kind: 'suppressed', reason: 'bounced' }, RESEND))
          .decided()
          .map((e) => e.type),
      ).toEqual(['EmailSuppressed']);
    });
    it('given EmailResendRequested, when its answer was lost too, then EmailSendUnknown again: the agent decides again', () => {
      expect(
        given(...resending)
          .when(recordOutcome(unknownOutcome, RESEND))
          .decided()
          .map((e) => e.type),
      ).toEqual(['EmailSendUnknown']);
    });
    it('given EmailResendRequested and a report since, when its answer was lost, then EmailSent confirmed by the provider', () => {
      const [e] = given(...resending, reported('open'))
        .when(recordOutcome(unknownOutcome, RESEND))
        .decided();
      expect(e).toMatchObject({ type: 'EmailSent', data: { confirmed_by: 'provider', message_id: 'unknown' } });
    });
    it('given its outcome recorded, when the round is redelivered, then nothing', () => {
      given(...resending, sent)
        .when(recordOutcome(sentOutcome, RESEND))
        .then([]);
    });
    it('given a later resend, when an older round reports, then nothing', () => {
      const later = [...resending, unknown, resendRequested(RESEND_2)];
      given(...later)
        .when(recordOutcome(sentOutcome, RESEND))
        .then([]);
      expect(awaitingOutcome(state(...later), RESEND)).toBe(false);
      expect(awaitingOutcome(state(...later), RESEND_2)).toBe(true);
    });
  });

  describe('RequestResend', () => {
    it('given EmailSendUnknown, when RequestResend, then EmailResendRequested', () => {
      given(generated, unknown)
        .when({ type: 'RequestResend' })
        .then([{ type: 'EmailResendRequested', data: ref }]);
    });
    it('given a resend that was lost too, when RequestResend, then EmailResendRequested again', () => {
      expect(
        given(generated, unknown, resendRequested(), unknown)
          .when({ type: 'RequestResend' })
          .decided()
          .map((e) => e.type),
      ).toEqual(['EmailResendRequested']);
    });
    it('given nothing, when RequestResend, then not found', () => {
      thenThrows({ type: 'RequestResend' }, [], 'not_found');
    });
    it('given any other status, when RequestResend, then illegal transition, saying where it stands', () => {
      thenThrows({ type: 'RequestResend' }, [generated], 'illegal_transition', /not sent yet/);
      thenThrows({ type: 'RequestResend' }, [generated, sent], 'illegal_transition', /already sent/);
      thenThrows({ type: 'RequestResend' }, [generated, failed], 'illegal_transition', /is failed/);
      thenThrows({ type: 'RequestResend' }, [generated, suppressed], 'illegal_transition', /suppressed/);
      thenThrows({ type: 'RequestResend' }, [generated, unknown, resendRequested()], 'illegal_transition', /being sent again/);
    });
    it('given EmailSendUnknown and a report recorded before it (older data), when RequestResend, then illegal: it did go out', () => {
      thenThrows(
        { type: 'RequestResend' },
        [generated, reported('open'), unknown],
        'illegal_transition',
        /already reported on this email \(open\)/,
      );
      thenThrows({ type: 'RequestResend' }, [generated, reported('dropped'), unknown], 'illegal_transition', /dropped/);
    });
  });

  describe('MarkSent', () => {
    it('given EmailSendUnknown, when MarkSent, then EmailSent confirmed by the agent at the lost call, message id unknown', () => {
      given(generated, unknown)
        .when({ type: 'MarkSent', attempt })
        .then([
          {
            type: 'EmailSent',
            data: {
              ...ref,
              to_email: 'maria@example.com',
              provider: 'sendgrid',
              message_id: 'unknown',
              sent_at: T_ATTEMPT,
              attempts: 2,
              confirmed_by: 'agent',
            },
          },
        ]);
    });
    it('given EmailSendUnknown and no attempt on record, when MarkSent, then sent when it was found unknown, one attempt', () => {
      expect(given(generated, unknown).when({ type: 'MarkSent', attempt: null }).decided()[0]).toMatchObject({
        data: { sent_at: T_UNKNOWN, attempts: 1 },
      });
    });
    it('given nothing, when MarkSent, then not found; given any other status, then illegal transition', () => {
      thenThrows({ type: 'MarkSent', attempt }, [], 'not_found');
      thenThrows({ type: 'MarkSent', attempt }, [generated, sent], 'illegal_transition', /already sent/);
      thenThrows({ type: 'MarkSent', attempt }, [generated, unknown, resendRequested()], 'illegal_transition', /being sent again/);
      thenThrows(
        { type: 'MarkSent', attempt },
        [generated, unknown, stored('EmailSent', { ...(sent.data as EventData<'EmailSent'>), confirmed_by: 'provider' })],
        'illegal_transition',
      );
    });
  });

  describe('RecordProviderReport', () => {
    const recordReport = (r: WebhookReport): EmailCommand => ({ type: 'RecordProviderReport', report: r, ref, attempt });
    it('given EmailSent, when a report, then its event, by SendGrid event name', () => {
      const cases: [string, string][] = [
        ['delivered', 'EmailDelivered'],
        ['open', 'EmailOpened'],
        ['click', 'EmailClicked'],
        ['bounce', 'EmailBounced'],
        ['dropped', 'EmailDropped'],
        ['spamreport', 'EmailSpamReported'],
        ['unsubscribe', 'EmailUnsubscribed'],
        ['group_unsubscribe', 'EmailUnsubscribed'],
        ['deferred', 'EmailWebhookRecorded'],
        ['processed', 'EmailWebhookRecorded'],
      ];
      for (const [event, type] of cases)
        expect(
          given(generated, sent)
            .when(recordReport(report(event)))
            .decided()
            .map((e) => e.type),
        ).toEqual([type]);
    });
    it('carries what SendGrid said: url, reason and message id when present', () => {
      const r = report('click', { url: 'https://example.com/listing', sg_message_id: 'msg-1.filter.0' });
      given(generated, sent)
        .when(recordReport(r))
        .then([
          {
            type: 'EmailClicked',
            data: {
              ...ref,
              sg_event_id: 'sg-click',
              event: 'click',
              timestamp: T_REPORT,
              url: 'https://example.com/listing',
              sg_message_id: 'msg-1.filter.0',
            },
          },
        ]);
    });
    it('given the same sg_event_id recorded, when reported again, then nothing (SendGrid repeats events)', () => {
      given(generated, sent, reported('open'))
        .when(recordReport(report('open')))
        .then([]);
    });
    it('given EmailSendUnknown, when any report but dropped, then EmailSent confirmed by the provider, then the report', () => {
      const r = report('delivered', { sg_message_id: 'lost-answer-1.filter0001.16648.5515E0B88.0' });
      given(generated, unknown)
        .when(recordReport(r))
        .then([
          {
            type: 'EmailSent',
            data: {
              ...ref,
              to_email: 'maria@example.com',
              provider: 'sendgrid',
              message_id: 'lost-answer-1',
              sent_at: T_ATTEMPT,
              attempts: 2,
              confirmed_by: 'provider',
            },
          },
          {
            type: 'EmailDelivered',
            data: { ...ref, sg_event_id: 'sg-delivered', event: 'delivered', timestamp: T_REPORT, sg_message_id: r.sg_message_id },
          },
        ]);
    });
    it('given EmailSendUnknown, when dropped, then EmailFailed (SendGrid dropped it), then EmailDropped', () => {
      const drafts = given(generated, unknown)
        .when(recordReport(report('dropped', { reason: 'Bounced Address' })))
        .decided();
      expect(drafts.map((d) => d.type)).toEqual(['EmailFailed', 'EmailDropped']);
      expect(drafts[0]!.data).toEqual({ ...ref, provider: 'sendgrid', reason: 'SendGrid dropped it: Bounced Address', attempts: 2 });
    });
    it('given EmailSendUnknown and no attempt on record, when reported, then sent when it was found unknown', () => {
      const [e] = given(generated, unknown)
        .when({ type: 'RecordProviderReport', report: report('open'), ref, attempt: null })
        .decided();
      expect(e).toMatchObject({ type: 'EmailSent', data: { sent_at: T_UNKNOWN, attempts: 1, message_id: 'unknown' } });
    });
    it('given a send in flight or a resend under way, when reported, then only the report (the round settles on its own outcome)', () => {
      expect(
        given(generated)
          .when(recordReport(report('delivered')))
          .decided()
          .map((e) => e.type),
      ).toEqual(['EmailDelivered']);
      expect(
        given(generated, unknown, resendRequested())
          .when(recordReport(report('delivered')))
          .decided()
          .map((e) => e.type),
      ).toEqual(['EmailDelivered']);
    });
    it('given nothing generated yet, when reported, then the report, naming the task and client the record gave', () => {
      given()
        .when(recordReport(report('open')))
        .then([{ type: 'EmailOpened', data: { ...ref, sg_event_id: 'sg-open', event: 'open', timestamp: T_REPORT } }]);
    });
  });
});
