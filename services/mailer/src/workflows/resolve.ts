import type { CommandPayload, Envelope } from '@realtoros/contracts';
import type { CommandContext, CommandResult, EventStore } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import { awaitingOutcome, type EmailCommand } from '../email/decide.ts';
import { emailHandler } from '../email/handler.ts';
import { type AttemptRecord, attemptOf, followEvents, indexMessageId, live, type MailerState, readJson, toBytes } from '../state.ts';
import { type MailerDeps, recordOutcome, sendAttempts, suppressionReason } from './send-email.ts';

/**
 * What the agent decides about an email whose send outcome is `unknown` (ARCHITECTURE.md §4:
 * the mailer never resends blindly; the agent decides). The decider's `RequestResend` and
 * `MarkSent` hold the rules (only `unknown`; a resend is refused once SendGrid reported on
 * it); the email's command path appends the decision with the expected sequence, so two
 * decisions racing each other cannot both land.
 * - `mark_sent`: EmailSent with `confirmed_by: 'agent'` and message id `unknown`; nothing is
 *   sent. Its task completes like any sent email's.
 * - `resend`: EmailResendRequested. The `mailer-resends` consumer then sends it through the
 *   same path as the first time (suppression check, attempt recorded before each call) and
 *   records EmailSent | EmailFailed | EmailSuppressed, or EmailSendUnknown again if the
 *   process dies during the call: the agent decides again, nothing goes out twice.
 */

type ResolveDeps = { store: EventStore; state: MailerState; log: Logger; now?: () => Date };
type ResolveResult = { email_id: string; status: 'sending' | 'sent' };

/** `cmd.mailer.resolve_unknown`: the meta's agent_id is the tenant; another agent's email is not found. */
export function resolveUnknownCommand(deps: ResolveDeps) {
  const now = deps.now ?? (() => new Date());
  const emails = emailHandler(deps.store);
  return async (p: CommandPayload<'mailer', 'resolve_unknown'>, ctx: CommandContext): Promise<CommandResult<ResolveResult>> => {
    const agentId = ctx.meta.agent_id;
    const generated = await emails.generated(agentId, p.email_id);
    const entry = await deps.state.attempts.get(p.email_id);
    // The record is keyed by email alone: another agent's says nothing about this agent's email.
    const rec = readJson<AttemptRecord>(entry);
    const mine = rec && rec.agent_id === agentId ? rec : null;
    const command: EmailCommand =
      p.action === 'resend' ? { type: 'RequestResend' } : { type: 'MarkSent', attempt: mine ? attemptOf(mine) : null };
    const result = await emails.handle(agentId, p.email_id, generated, command, {
      correlationId: ctx.meta.correlation_id,
      causationId: ctx.meta.command_id,
      traceparent: ctx.traceparent,
    });
    // The events decide from here on; the record follows so that a late redelivery of the
    // generated email finds an outcome (a resend takes the record over itself).
    if (p.action === 'mark_sent' && mine && entry)
      await followEvents(deps.state, ctx.log, p.email_id, mine, entry.revision, result.state, now());
    ctx.log.info({ email_id: p.email_id, action: p.action }, 'agent resolved an email whose outcome was unknown');
    return { data: { email_id: p.email_id, status: p.action === 'resend' ? 'sending' : 'sent' }, position: result.position };
  };
}

/**
 * EmailResendRequested → one more round of provider calls, exactly once per request. The
 * attempt record is taken over for this request (compare-and-set, `resend_id` = the request's
 * event id) before the provider is called; a redelivery that finds the record already taken
 * over records what it says (still `sending`: unknown again, unless SendGrid reported since).
 */
export async function onResendRequested(
  deps: MailerDeps,
  event: Envelope<'EmailResendRequested'>,
  traceparent: string | null,
): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const emailId = event.aggregate_id;
  const round = event.id;
  const emails = emailHandler(deps.store);
  const generated = await emails.generated(event.agent_id, emailId);
  if (!generated) throw new Error(`email ${emailId} was never generated; cannot resend`);
  const { state } = await emails.load(event.agent_id, emailId, generated);
  if (!awaitingOutcome(state, round)) return; // decided already, or the agent has moved on

  const entry = await deps.state.attempts.get(emailId);
  if (!live(entry)) throw new Error(`no attempt record for email ${emailId}; cannot resend`);
  const rec = entry.json<AttemptRecord>();
  // Delivered before: this round's record says what happened.
  if (rec.resend_id === round) {
    await indexMessageId(deps.state, emailId, rec);
    return recordOutcome(deps, generated, round, rec, entry.revision, traceparent);
  }

  const suppressed = await suppressionReason(deps, generated);
  const start: AttemptRecord = {
    ...rec,
    state: suppressed ? 'suppressed' : 'sending',
    resend_id: round,
    attempts: 0,
    message_id: null,
    sent_at: null,
    confirmed_by: null,
    reason: suppressed,
    provider: deps.sender.provider,
    updated_at: now().toISOString(),
  };
  // Compare-and-set: if anything else touched the record since we read it, this fails and the
  // redelivery decides again from the fresh record.
  const revision = await deps.state.attempts.update(emailId, toBytes(start), entry.revision);
  const done = suppressed ? { rec: start, revision } : await sendAttempts(deps, generated, start, revision);
  return recordOutcome(deps, generated, round, done.rec, done.revision, traceparent);
}
