import { subjects, type CommandPayload, type Envelope } from '@realtoros/contracts';
import { DomainError, deterministicId, newEvent, type CommandContext, type CommandResult, type EventStore } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import { live, readJson, toBytes, type AttemptRecord, type MailerState } from '../state.ts';
import { REPORT_EVENTS, reportIn, settledByReport } from './provider-report.ts';
import { OUTCOMES, outcomeEvent, sendAttempts, suppressionReason, type MailerDeps, type OutcomeRef } from './send-email.ts';

/**
 * What the agent decides about an email whose send outcome is `unknown` (ARCHITECTURE.md §4:
 * the mailer never resends blindly; the agent decides).
 *
 * The email's MAILER events are the truth about where it stands. `resolve_unknown` reads
 * them and appends its decision with "expected last subject sequence", so two decisions
 * racing each other cannot both land:
 * - `mark_sent`: EmailSent with `confirmed_by: 'agent'` and message id `unknown`; nothing is
 *   sent. Its task completes like any sent email's.
 * - `resend`: EmailResendRequested. The `mailer-resends` consumer then sends it through the
 *   same path as the first time (suppression check, attempt recorded before each call) and
 *   records EmailSent | EmailFailed | EmailSuppressed, or EmailSendUnknown again if the
 *   process dies during the call: the agent decides again, nothing goes out twice.
 */

/** Where an email stands, from the mailer's own events (webhook events don't move it). */
export type DeliveryState = 'none' | 'sent' | 'failed' | 'suppressed' | 'unknown' | 'resending';

export function deliveryState(events: Envelope[]): DeliveryState {
  let state: DeliveryState = 'none';
  for (const e of events) {
    if (e.type === 'EmailSent') state = 'sent';
    else if (e.type === 'EmailFailed') state = 'failed';
    else if (e.type === 'EmailSuppressed') state = 'suppressed';
    else if (e.type === 'EmailSendUnknown') state = 'unknown';
    else if (e.type === 'EmailResendRequested') state = 'resending';
  }
  return state;
}

const STATE_WORDS: Record<DeliveryState, string> = {
  none: 'not sent yet', sent: 'already sent', failed: 'failed', suppressed: 'suppressed', unknown: 'unknown', resending: 'being sent again',
};

async function generatedEmail(store: EventStore, agentId: string, emailId: string): Promise<Envelope<'EmailGenerated'> | null> {
  const { events } = await store.readSubject('AI', subjects.generatedEmail(agentId, emailId));
  const e = events.find((x) => x.event.type === 'EmailGenerated')?.event;
  return e?.type === 'EmailGenerated' ? e : null;
}

type ResolveDeps = { store: EventStore; state: MailerState; log: Logger; now?: () => Date };
type ResolveResult = { email_id: string; status: 'sending' | 'sent' };

/** `cmd.mailer.resolve_unknown`: the meta's agent_id is the tenant; another agent's email is not found. */
export function resolveUnknownCommand(deps: ResolveDeps) {
  const now = deps.now ?? (() => new Date());
  return async (p: CommandPayload<'mailer', 'resolve_unknown'>, ctx: CommandContext): Promise<CommandResult<ResolveResult>> => {
    const agentId = ctx.meta.agent_id;
    const stored = await deps.store.readSubject('MAILER', subjects.mailedEmail(agentId, p.email_id));
    const events = stored.events.map((e) => e.event);
    const state = deliveryState(events);
    if (state === 'none' && !(await generatedEmail(deps.store, agentId, p.email_id))) throw new DomainError('not_found', 'email not found');
    if (state !== 'unknown')
      throw new DomainError('illegal_transition', `this email is ${STATE_WORDS[state]}; only an email whose send outcome is unknown can be resent or marked as sent`);

    const entry = await deps.state.attempts.get(p.email_id);
    const rec = readJson<AttemptRecord>(entry);
    if (rec && rec.agent_id !== agentId) throw new DomainError('not_found', 'email not found');
    const unknown = events.findLast((e) => e.type === 'EmailSendUnknown') as Envelope<'EmailSendUnknown'>;
    const ref = { task_id: unknown.data.task_id, client_id: unknown.data.client_id };
    const base = { agentId, aggregateId: p.email_id, correlationId: ctx.meta.correlation_id, causationId: ctx.meta.command_id };
    const append = (event: Envelope) => deps.store.append(event, { expectedLastSubjectSeq: stored.lastSeq, traceparent: ctx.traceparent });

    if (p.action === 'resend') {
      const reported = events.find((e) => REPORT_EVENTS.has(e.type)); // SendGrid has (at least) one copy of it
      if (reported) {
        const what = reported.type === 'EmailWebhookRecorded' ? (reported.data as { event: string }).event : reported.type.replace(/^Email/, '').toLowerCase();
        throw new DomainError('illegal_transition', `SendGrid already reported on this email (${what}), so it did go out; mark it as sent instead of sending it twice`);
      }
      const r = await append(newEvent('EmailResendRequested', { ...base, id: deterministicId(ctx.meta.command_id, 'resend'), data: ref }));
      ctx.log.info({ email_id: p.email_id }, 'agent chose to resend an email whose outcome was unknown');
      return { data: { email_id: p.email_id, status: 'sending' }, position: { stream: r.stream, seq: r.seq } };
    }

    const toEmail = rec?.to_email ?? (await generatedEmail(deps.store, agentId, p.email_id))?.data.to_email;
    if (!toEmail) throw new Error(`email ${p.email_id} has no recipient on record`);
    // Our best guess of when it left: the attempt whose answer was lost.
    const sentAt = rec?.attempted_at ?? unknown.occurred_at;
    const r = await append(
      newEvent('EmailSent', {
        ...base, id: deterministicId(ctx.meta.command_id, 'mark-sent'),
        data: {
          ...ref, to_email: toEmail, provider: rec?.provider ?? unknown.data.provider, message_id: 'unknown', sent_at: sentAt,
          attempts: Math.max(1, rec?.attempts ?? 1), confirmed_by: 'agent',
        },
      }),
    );
    // The events decide from here on; the record follows so a late redelivery of the
    // generated email finds an outcome. Losing this write is harmless (the outcome is recorded).
    if (entry && rec) {
      const done: AttemptRecord = { ...rec, state: 'sent', sent_at: sentAt, reason: 'confirmed sent by the agent', updated_at: now().toISOString() };
      await deps.state.attempts.update(p.email_id, toBytes(done), entry.revision).catch((err) => ctx.log.warn({ err, email_id: p.email_id }, 'could not update the attempt record'));
    }
    ctx.log.info({ email_id: p.email_id }, 'agent marked an email whose outcome was unknown as sent');
    return { data: { email_id: p.email_id, status: 'sent' }, position: { stream: r.stream, seq: r.seq } };
  };
}

/**
 * EmailResendRequested → one more round of provider calls, exactly once per request. The
 * attempt record is taken over for this request (compare-and-set, `resend_id` = the request's
 * event id) before the provider is called; a redelivery that finds the record already taken
 * over replays its outcome, or, if it is still `sending`, marks the email unknown again.
 */
export async function onResendRequested(deps: MailerDeps, event: Envelope<'EmailResendRequested'>, traceparent: string | null): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const emailId = event.aggregate_id;
  const subject = subjects.mailedEmail(event.agent_id, emailId);
  const { events } = await deps.store.readSubject('MAILER', subject);
  const at = events.findIndex((e) => e.event.id === event.id);
  if (at >= 0 && events.slice(at + 1).some((e) => OUTCOMES.has(e.event.type))) return; // decided already

  const ref: OutcomeRef = {
    agentId: event.agent_id, aggregateId: emailId, correlationId: event.correlation_id, causationId: event.id, id: deterministicId(event.id, 'resend-outcome'),
  };
  const entry = await deps.state.attempts.get(emailId);
  if (!live(entry)) throw new Error(`no attempt record for email ${emailId}; cannot resend`);
  const rec = entry.json<AttemptRecord>();

  if (rec.resend_id === event.id) {
    // Delivered before: this round's record says what happened.
    let last = rec;
    if (rec.state === 'sending') {
      // Unless SendGrid has reported on it since: then the report settles it.
      const report = reportIn(events.map((e) => e.event));
      last = report
        ? settledByReport(rec, report, rec.attempted_at ?? rec.updated_at, now())
        : {
            ...rec, state: 'unknown', updated_at: now().toISOString(),
            reason: `interrupted during resend attempt ${rec.attempts}; the provider may have accepted it, so it is not resent`,
          };
      await deps.state.attempts.update(emailId, toBytes(last), entry.revision);
      deps.log.warn({ email_id: emailId, state: last.state, report: report?.event }, 'found an unfinished resend attempt');
    }
    return appendOnce(deps, subject, outcomeEvent(ref, last), traceparent);
  }

  const generated = await generatedEmail(deps.store, event.agent_id, emailId);
  if (!generated) throw new Error(`email ${emailId} was never generated; cannot resend`);
  const suppressed = await suppressionReason(deps, generated);
  const start: AttemptRecord = {
    ...rec, state: suppressed ? 'suppressed' : 'sending', resend_id: event.id, attempts: 0, message_id: null, sent_at: null, confirmed_by: null,
    reason: suppressed, provider: deps.sender.provider, updated_at: now().toISOString(),
  };
  // Compare-and-set: if anything else touched the record since we read it, this fails and the
  // redelivery decides again from the fresh record.
  const revision = await deps.state.attempts.update(emailId, toBytes(start), entry.revision);
  const final = suppressed ? start : await sendAttempts(deps, generated, start, revision);
  return appendOnce(deps, subject, outcomeEvent(ref, final), traceparent);
}

/** Appends an outcome whose id is derived from its request, unless it is already there. */
async function appendOnce(deps: MailerDeps, subject: string, event: Envelope, traceparent: string | null): Promise<void> {
  const { events } = await deps.store.readSubject('MAILER', subject);
  if (events.some((e) => e.event.id === event.id)) return;
  await deps.store.append(event, { traceparent });
}
