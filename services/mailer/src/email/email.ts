import type { EmailReportEvent, Envelope, EventData } from '@realtoros/contracts';

/**
 * The email aggregate as the mailer sees it: its events, its state and `evolve`.
 *
 * An email starts with `EmailGenerated` on the AI stream (`ai.<agent>.email.<id>`, written by
 * the ai-agent) and continues on the MAILER stream (`mail.<agent>.email.<id>`, ours): the
 * outcome of each round of sending, the agent's resend requests and SendGrid's reports. The
 * state is a left fold of the generated event followed by the MAILER subject.
 */

/** SendGrid's reports, as MAILER events (declared once, in the contracts). */
export type ReportEventType = EmailReportEvent;

/** The outcome of one round of sending; every round ends in exactly one of them. */
export type OutcomeEventType = 'EmailSent' | 'EmailFailed' | 'EmailSuppressed' | 'EmailSendUnknown';

/** What the mailer appends (all on MAILER). */
export type EmailEventType = OutcomeEventType | 'EmailResendRequested' | ReportEventType;

/** Every event the email's state folds: its start on AI, then ours. */
export type EmailAggregateEventType = 'EmailGenerated' | EmailEventType;

/** What the decider emits: an event's type and data; the command handler adds the envelope. */
export type EmailEventDraft = { [K in EmailEventType]: { type: K; data: EventData<K> } }[EmailEventType];

/** A SendGrid report, as the rules need it. */
export type ProviderReport = { sg_event_id: string; event: string; sg_message_id?: string | undefined; reason?: string | undefined };

/**
 * What SendGrid's reports have proved so far: `proof` is the first report of anything but
 * `dropped` (SendGrid took the email and handled it: it went out), `drop` the first `dropped`
 * (SendGrid refused to send it). `ids` are the `sg_event_id`s recorded, to tell a repeat.
 */
export type Reports = { ids: readonly string[]; proof: ProviderReport | null; drop: ProviderReport | null };
export const NO_REPORTS: Reports = { ids: [], proof: null, drop: null };

/** What every email known to the mailer carries. */
export type EmailFacts = {
  email_id: string;
  agent_id: string;
  task_id: string | null;
  client_id: string;
  /** From EmailGenerated; null only for an email folded from MAILER events alone. */
  to_email: string | null;
  /**
   * The round of sending the status belongs to: null for the first, else the id of the
   * EmailResendRequested that opened it. An outcome is recorded once per round.
   */
  round: string | null;
  reports: Reports;
};

/**
 * Where an email stands (a tagged union on `status`):
 * - `absent`: no EmailGenerated (SendGrid may still have reported on it: its reports are kept);
 * - `generated`: waiting for the outcome of its first round;
 * - `sent` | `failed` | `suppressed`: the outcome of the last round;
 * - `unknown`: the provider was called and its answer lost; never resent by itself;
 * - `resending`: the agent asked to send it again; waiting for that round's outcome.
 */
export type EmailState =
  | { status: 'absent'; reports: Reports }
  | (EmailFacts & { status: 'generated' })
  | (EmailFacts & { status: 'sent'; provider: string; message_id: string; sent_at: string; confirmed_by: 'agent' | 'provider' | null })
  | (EmailFacts & { status: 'failed'; provider: string; reason: string })
  | (EmailFacts & { status: 'suppressed'; reason: string })
  | (EmailFacts & { status: 'unknown'; provider: string; reason: string; since: string })
  | (EmailFacts & { status: 'resending'; provider: string; requested_at: string });
export type EmailStatus = EmailState['status'];
export type KnownEmail = Exclude<EmailState, { status: 'absent' }>;

export const initialState: EmailState = { status: 'absent', reports: NO_REPORTS };

/** The facts an event brings to an email not known before (folded from MAILER events alone). */
function factsOf(state: EmailState, event: Envelope): EmailFacts {
  if (state.status !== 'absent') {
    const { email_id, agent_id, task_id, client_id, to_email, round, reports } = state;
    return { email_id, agent_id, task_id, client_id, to_email, round, reports };
  }
  const d = event.data as { task_id?: string | null; client_id?: string; to_email?: string };
  return {
    email_id: event.aggregate_id,
    agent_id: event.agent_id,
    task_id: d.task_id ?? null,
    client_id: d.client_id ?? '',
    to_email: d.to_email ?? null,
    round: null,
    reports: state.reports,
  };
}

/** Any report but `dropped` (processed, deferred, delivered, bounce, open…) proves SendGrid took it. */
export const provesSent = (event: string) => event !== 'dropped';

const reportOf = (d: EventData<ReportEventType>): ProviderReport => ({
  sg_event_id: d.sg_event_id,
  event: d.event,
  ...(d.sg_message_id ? { sg_message_id: d.sg_message_id } : {}),
  ...(d.reason ? { reason: d.reason } : {}),
});

function withReport(reports: Reports, r: ProviderReport): Reports {
  if (reports.ids.includes(r.sg_event_id)) return reports;
  return {
    ids: [...reports.ids, r.sg_event_id],
    proof: reports.proof ?? (provesSent(r.event) ? r : null),
    drop: reports.drop ?? (provesSent(r.event) ? null : r),
  };
}

export function evolve(state: EmailState, event: Envelope): EmailState {
  switch (event.type) {
    case 'EmailGenerated': {
      if (state.status !== 'absent') return state; // the same email generated twice is a repeat
      const d = event.data;
      return {
        status: 'generated',
        email_id: event.aggregate_id,
        agent_id: event.agent_id,
        task_id: d.task_id,
        client_id: d.client_id,
        to_email: d.to_email,
        round: null,
        reports: state.reports,
      };
    }
    case 'EmailSent': {
      const d = event.data;
      return {
        ...factsOf(state, event),
        status: 'sent',
        provider: d.provider,
        message_id: d.message_id,
        sent_at: d.sent_at,
        confirmed_by: d.confirmed_by ?? null,
      };
    }
    case 'EmailFailed':
      return { ...factsOf(state, event), status: 'failed', provider: event.data.provider, reason: event.data.reason };
    case 'EmailSuppressed':
      return { ...factsOf(state, event), status: 'suppressed', reason: event.data.reason };
    case 'EmailSendUnknown':
      return {
        ...factsOf(state, event),
        status: 'unknown',
        provider: event.data.provider,
        reason: event.data.reason,
        since: event.occurred_at,
      };
    case 'EmailResendRequested': {
      const facts = factsOf(state, event);
      const provider = 'provider' in state ? state.provider : '';
      return { ...facts, round: event.id, status: 'resending', provider, requested_at: event.occurred_at };
    }
    case 'EmailDelivered':
    case 'EmailOpened':
    case 'EmailClicked':
    case 'EmailBounced':
    case 'EmailDropped':
    case 'EmailSpamReported':
    case 'EmailUnsubscribed':
    case 'EmailWebhookRecorded':
      // Reports are history: they never move the status by themselves (a decision may, on them).
      return { ...state, reports: withReport(state.reports, reportOf(event.data)) };
    default:
      return state;
  }
}

export const fold = (events: readonly Envelope[], from: EmailState = initialState): EmailState => events.reduce(evolve, from);
