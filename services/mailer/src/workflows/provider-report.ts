import type { Envelope } from '@realtoros/contracts';
import type { AttemptRecord } from '../state.ts';

/**
 * What SendGrid's webhook reports prove about an email whose send outcome we never saw (the
 * process died between SendGrid's answer and recording it). Any report except `dropped`
 * (processed, delivered, deferred, bounce, open, click, spamreport, unsubscribe…) means
 * SendGrid accepted the email and handled it: it went out. `dropped` means SendGrid refused
 * to send it.
 */
export type ProviderReport = { event: string; sg_message_id?: string | undefined; reason?: string | undefined };

/** The MAILER events that record a webhook report. */
export const REPORT_EVENTS = new Set<string>([
  'EmailDelivered', 'EmailOpened', 'EmailClicked', 'EmailBounced', 'EmailDropped', 'EmailSpamReported', 'EmailUnsubscribed', 'EmailWebhookRecorded',
]);

export const provesSent = (event: string) => event !== 'dropped';

/** SendGrid's `sg_message_id` starts with the `X-Message-Id` its API answered with. */
export function messageIdOf(sgMessageId: string | undefined): string | null {
  const prefix = sgMessageId?.split('.')[0];
  return prefix ? prefix : null;
}

/** The report that settles an email from the reports recorded on it: one proving it went out first, else a drop. */
export function reportIn(events: Envelope[]): ProviderReport | null {
  const reports = events.filter((e) => REPORT_EVENTS.has(e.type)).map((e) => e.data as ProviderReport);
  return reports.find((r) => provesSent(r.event)) ?? reports.find((r) => r.event === 'dropped') ?? null;
}

/**
 * The attempt record of an unknown (or interrupted) email, settled by a SendGrid report:
 * `sent`, confirmed by the provider, at the time of the attempt whose answer was lost, with the
 * message id from the report when it has one; or `failed` when SendGrid dropped it.
 */
export function settledByReport(rec: AttemptRecord, report: ProviderReport, attemptedAt: string, now: Date): AttemptRecord {
  if (!provesSent(report.event))
    return { ...rec, state: 'failed', reason: `SendGrid dropped it${report.reason ? `: ${report.reason}` : ''}`, updated_at: now.toISOString() };
  return {
    ...rec, state: 'sent', confirmed_by: 'provider', message_id: messageIdOf(report.sg_message_id) ?? rec.message_id, sent_at: attemptedAt,
    attempts: Math.max(1, rec.attempts), reason: `confirmed sent by SendGrid (${report.event})`, updated_at: now.toISOString(),
  };
}
