import { type Decider, DomainError } from '@realtoros/messaging';
import {
  type EmailAggregateEventType,
  type EmailEventDraft,
  type EmailState,
  type EmailStatus,
  evolve,
  initialState,
  type KnownEmail,
  type ProviderReport,
  provesSent,
  type ReportEventType,
} from './email.ts';

/**
 * The email's commands and `decide`: pure (times, ids and what the provider said arrive in
 * the command), so every rule reads "given these events, when this command, then these
 * events". An empty result means "nothing to do" (a repeat); a broken rule throws a coded
 * DomainError that the gateway maps to HTTP in one place.
 *
 * What stays I/O in the workflows: the attempt record in NATS KV, written before every
 * provider call, which is what makes "never sent twice" hold across crashes. Its state is
 * turned into a command here (`RecordOutcome`); what the email becomes is decided here.
 */

/** One round's provider calls, from the attempt record: how many, and when the last one was made. */
export type Attempt = { attempts: number; attempted_at: string | null };

/** How a round of sending ended, as the workflow saw it. */
export type Outcome =
  | { kind: 'sent'; provider: string; message_id: string; sent_at: string; attempts: number }
  | { kind: 'failed'; provider: string; reason: string; attempts: number }
  | { kind: 'suppressed'; reason: string }
  /** The provider was called and its answer lost (timeout, or the process died during the call). */
  | { kind: 'unknown'; provider: string; reason: string; attempts: number; attempted_at: string };

/** A verified SendGrid webhook event matched to this email. */
export type WebhookReport = ProviderReport & { timestamp: string; url?: string | undefined };

export type EmailCommand =
  /** The outcome of a round of sending: `round` is null for the first, else its EmailResendRequested's id. */
  | { type: 'RecordOutcome'; round: string | null; outcome: Outcome }
  /** The agent: send an email whose outcome is unknown again. */
  | { type: 'RequestResend' }
  /** The agent: an email whose outcome is unknown did go out. `attempt`: the lost call, when on record. */
  | { type: 'MarkSent'; attempt: Attempt | null }
  /**
   * SendGrid reported on the email. `ref` names its task and client for an email not folded
   * from its EmailGenerated; `attempt`: the lost call, should the report settle an unknown email.
   */
  | { type: 'RecordProviderReport'; report: WebhookReport; ref: { task_id: string | null; client_id: string }; attempt: Attempt | null };

/** SendGrid event name → our event; anything else is kept in history as EmailWebhookRecorded. */
export const REPORT_TYPES: Readonly<Record<string, ReportEventType>> = {
  delivered: 'EmailDelivered',
  open: 'EmailOpened',
  click: 'EmailClicked',
  bounce: 'EmailBounced',
  dropped: 'EmailDropped',
  spamreport: 'EmailSpamReported',
  unsubscribe: 'EmailUnsubscribed',
  group_unsubscribe: 'EmailUnsubscribed',
};

/** SendGrid's `sg_message_id` starts with the `X-Message-Id` its API answered with. */
export function messageIdOf(sgMessageId: string | undefined): string | null {
  const prefix = sgMessageId?.split('.')[0];
  return prefix ? prefix : null;
}

/**
 * A failure reason as EmailFailed stores it (Text, at most 2000 UTF-16 units): a cut through
 * a surrogate pair would leave half of it, which Text() refuses, so the outcome could never
 * be recorded; the half left over becomes U+FFFD.
 */
const failureReason = (s: string) => s.slice(0, 2000).toWellFormed();

/** True while the round `round` has no outcome yet: the one time an outcome may be recorded for it. */
export function awaitingOutcome(state: EmailState, round: string | null): boolean {
  if (round === null) return state.status === 'generated';
  return state.status === 'resending' && state.round === round;
}

const STATUS_WORDS: Record<EmailStatus, string> = {
  absent: 'not found',
  generated: 'not sent yet',
  sent: 'already sent',
  failed: 'failed',
  suppressed: 'suppressed',
  unknown: 'unknown',
  resending: 'being sent again',
};

function known(state: EmailState): KnownEmail {
  if (state.status === 'absent') throw new DomainError('not_found', 'email not found');
  return state;
}

function unknownOnly(state: EmailState): Extract<EmailState, { status: 'unknown' }> {
  const email = known(state);
  if (email.status !== 'unknown')
    throw new DomainError(
      'illegal_transition',
      `this email is ${STATUS_WORDS[email.status]}; only an email whose send outcome is unknown can be resent or marked as sent`,
    );
  return email;
}

function recipient(email: KnownEmail): string {
  if (!email.to_email) throw new Error(`email ${email.email_id} has no recipient on record`);
  return email.to_email;
}

/** The report's event, for history (recorded as it came, whatever the email's status). */
export function reportDraft(report: WebhookReport, ref: { task_id: string | null; client_id: string }): EmailEventDraft {
  return {
    type: REPORT_TYPES[report.event] ?? 'EmailWebhookRecorded',
    data: {
      task_id: ref.task_id,
      client_id: ref.client_id,
      sg_event_id: report.sg_event_id,
      event: report.event,
      timestamp: report.timestamp,
      ...(report.url ? { url: report.url } : {}),
      ...(report.reason ? { reason: report.reason } : {}),
      ...(report.sg_message_id ? { sg_message_id: report.sg_message_id } : {}),
    },
  };
}

/**
 * The outcome a report proves for a round whose answer was lost: sent, confirmed by the
 * provider, at the time of the lost call (the best guess of when it left), with the message id
 * the report carries; or failed when SendGrid dropped it.
 */
function settledBy(
  email: KnownEmail,
  provider: string,
  report: ProviderReport,
  attempt: Attempt | null,
  fallbackSentAt: string,
): EmailEventDraft {
  const ref = { task_id: email.task_id, client_id: email.client_id };
  const attempts = Math.max(1, attempt?.attempts ?? 1);
  if (!provesSent(report.event))
    return {
      type: 'EmailFailed',
      data: { ...ref, provider, reason: failureReason(`SendGrid dropped it${report.reason ? `: ${report.reason}` : ''}`), attempts },
    };
  return {
    type: 'EmailSent',
    data: {
      ...ref,
      to_email: recipient(email),
      provider,
      message_id: messageIdOf(report.sg_message_id) ?? 'unknown',
      sent_at: attempt?.attempted_at ?? fallbackSentAt,
      attempts,
      confirmed_by: 'provider',
    },
  };
}

/** The report that settles a lost answer: one proving it went out first, else a drop. */
const settlingReport = (email: KnownEmail): ProviderReport | null => email.reports.proof ?? email.reports.drop;

export function decide(command: EmailCommand, state: EmailState): EmailEventDraft[] {
  switch (command.type) {
    case 'RecordOutcome': {
      const email = known(state);
      // Once per round: a redelivery, or a round the agent has since moved past, records nothing.
      if (!awaitingOutcome(email, command.round)) return [];
      const ref = { task_id: email.task_id, client_id: email.client_id };
      const o = command.outcome;
      switch (o.kind) {
        case 'sent':
          return [
            {
              type: 'EmailSent',
              data: {
                ...ref,
                to_email: recipient(email),
                provider: o.provider,
                message_id: o.message_id,
                sent_at: o.sent_at,
                attempts: Math.max(1, o.attempts),
              },
            },
          ];
        case 'failed':
          return [{ type: 'EmailFailed', data: { ...ref, provider: o.provider, reason: failureReason(o.reason), attempts: o.attempts } }];
        case 'suppressed':
          return [{ type: 'EmailSuppressed', data: { ...ref, to_email: recipient(email), reason: o.reason } }];
        case 'unknown': {
          // SendGrid's webhook is often quicker than a redelivery: a report already on record settles it.
          const report = settlingReport(email);
          const attempt = { attempts: o.attempts, attempted_at: o.attempted_at };
          if (report) return [settledBy(email, o.provider, report, attempt, o.attempted_at)];
          return [{ type: 'EmailSendUnknown', data: { ...ref, provider: o.provider, reason: o.reason } }];
        }
        default: {
          const unhandled: never = o;
          throw new Error(`unhandled outcome ${JSON.stringify(unhandled)}`);
        }
      }
    }
    case 'RequestResend': {
      const email = unknownOnly(state);
      const report = settlingReport(email);
      if (report)
        throw new DomainError(
          'illegal_transition',
          provesSent(report.event)
            ? `SendGrid already reported on this email (${report.event}), so it did go out; mark it as sent instead of sending it twice`
            : 'SendGrid already reported that it dropped this email',
        );
      return [{ type: 'EmailResendRequested', data: { task_id: email.task_id, client_id: email.client_id } }];
    }
    case 'MarkSent': {
      const email = unknownOnly(state);
      return [
        {
          type: 'EmailSent',
          data: {
            task_id: email.task_id,
            client_id: email.client_id,
            to_email: recipient(email),
            provider: email.provider,
            message_id: 'unknown',
            // Our best guess of when it left: the call whose answer was lost, else when that was found out.
            sent_at: command.attempt?.attempted_at ?? email.since,
            attempts: Math.max(1, command.attempt?.attempts ?? 1),
            confirmed_by: 'agent',
          },
        },
      ];
    }
    case 'RecordProviderReport': {
      const r = command.report;
      if (state.reports.ids.includes(r.sg_event_id)) return []; // SendGrid retries and repeats events
      const recorded = reportDraft(r, state.status === 'absent' ? command.ref : state);
      if (state.status !== 'unknown') return [recorded];
      // The report settles an unknown email first, so its task moves on the outcome as for any other.
      return [settledBy(state, state.provider, r, command.attempt, state.since), recorded];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

/** The email decider in the shape the shared command handler takes. */
export const emailDecider: Decider<EmailCommand, EmailState, EmailAggregateEventType> = { initialState, evolve, decide };
