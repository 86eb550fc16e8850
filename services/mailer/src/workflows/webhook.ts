import { subjects, type CommandPayload, type Envelope, type EventType } from '@realtoros/contracts';
import { ConcurrencyError, deterministicId, newEvent, type CommandHandlers, type EventStore } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import { live, messageKey, readJson, seenKey, suppressionKey, toBytes, type AttemptRecord, type MailerState } from '../state.ts';
import { settledByReport } from './provider-report.ts';
import { deliveryState } from './resolve.ts';
import { outcomeEvent } from './send-email.ts';

type WebhookEvent = CommandPayload<'mailer', 'record_webhook_events'>['events'][number];
export type WebhookDeps = { store: EventStore; state: MailerState; log: Logger; now?: () => Date };

/** SendGrid event name → our event; anything else is kept in history as EmailWebhookRecorded. */
const EVENT_TYPES: Record<string, EventType> = {
  delivered: 'EmailDelivered',
  open: 'EmailOpened',
  click: 'EmailClicked',
  bounce: 'EmailBounced',
  dropped: 'EmailDropped',
  spamreport: 'EmailSpamReported',
  unsubscribe: 'EmailUnsubscribed',
  group_unsubscribe: 'EmailUnsubscribed',
};
/** Events after which the address is never sent to again (for this agent). */
export const SUPPRESSING: Record<string, string> = {
  bounce: 'bounced', dropped: 'dropped', spamreport: 'spam_reported', unsubscribe: 'unsubscribed', group_unsubscribe: 'unsubscribed',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Finds the email a webhook event is about: our custom args first, else the message-id prefix. */
async function emailOf(state: MailerState, ev: WebhookEvent): Promise<{ emailId: string; rec: AttemptRecord } | null> {
  let emailId: string | null = ev.email_id && UUID.test(ev.email_id) ? ev.email_id : null;
  if (!emailId && ev.sg_message_id) {
    const prefix = ev.sg_message_id.split('.')[0] ?? '';
    const m = readJson<{ email_id: string }>(await state.messages.get(messageKey(prefix)));
    emailId = m?.email_id ?? null;
  }
  if (!emailId) return null;
  const rec = readJson<AttemptRecord>(await state.attempts.get(emailId));
  if (!rec) return null;
  if (ev.agent_id && ev.agent_id !== rec.agent_id) return null;
  return { emailId, rec };
}

/**
 * Records one verified webhook event: deduplicated by `sg_event_id` (the seen-set, and the
 * event id derived from it for JetStream's duplicate window), mapped to its email, appended
 * to the email's MAILER subject; suppressing events also update the suppression list here,
 * before SendGrid gets its answer, so the very next send is already blocked.
 */
export async function recordWebhookEvent(deps: WebhookDeps, ev: WebhookEvent, correlationId: string): Promise<'recorded' | 'duplicate' | 'unmatched'> {
  const seen = seenKey(ev.sg_event_id);
  if (live(await deps.state.seen.get(seen))) return 'duplicate';
  const target = await emailOf(deps.state, ev);
  if (!target) return 'unmatched';
  const { emailId, rec } = target;
  const at = new Date(ev.timestamp * 1000);
  const type = EVENT_TYPES[ev.event] ?? 'EmailWebhookRecorded';
  const id = deterministicId('sendgrid', ev.sg_event_id);
  await settleUnknown(deps, ev, emailId, rec, { correlationId, causationId: id });
  const data = {
    task_id: rec.task_id, client_id: rec.client_id, sg_event_id: ev.sg_event_id, event: ev.event, timestamp: at.toISOString(),
    ...(ev.url ? { url: ev.url } : {}), ...(ev.reason ? { reason: ev.reason } : {}), ...(ev.sg_message_id ? { sg_message_id: ev.sg_message_id } : {}),
  };
  await deps.store.append(
    newEvent(type as 'EmailDelivered', { agentId: rec.agent_id, aggregateId: emailId, correlationId, causationId: null, id, occurredAt: at, data }),
  );
  const reason = SUPPRESSING[ev.event];
  if (reason) await suppress(deps.state, rec.agent_id, rec.to_email, reason, emailId, at);
  await deps.state.seen.put(seen, toBytes(1));
  return 'recorded';
}

/**
 * A report on an email whose send outcome is unknown settles it, before the report itself is
 * appended: anything but `dropped` proves SendGrid took it → EmailSent confirmed by the
 * provider (its task completes; `resolve_unknown` is refused from then on); `dropped` proves it
 * never left → EmailFailed (its task fails). Whether it is unknown is decided by the email's
 * MAILER events, as for `resolve_unknown`. The outcome's id derives from the EmailSendUnknown
 * it settles and it is appended at the subject's last sequence, so concurrent reports in one
 * batch, or a batch SendGrid sends again, settle it once. The attempt record follows, so a
 * redelivery of the generated email finds an outcome (and sends nothing either way).
 */
async function settleUnknown(
  deps: WebhookDeps, ev: WebhookEvent, emailId: string, rec: AttemptRecord, cause: { correlationId: string; causationId: string },
): Promise<void> {
  // The record turns `unknown` before EmailSendUnknown is appended and leaves it only after the
  // outcome that ends it: in any other state there is nothing to settle (and nothing to read).
  if (rec.state !== 'unknown' && rec.state !== 'sending') return;
  const now = deps.now ?? (() => new Date());
  const subject = subjects.mailedEmail(rec.agent_id, emailId);
  for (let round = 1; ; round++) {
    const stored = await deps.store.readSubject('MAILER', subject);
    const events = stored.events.map((e) => e.event);
    if (deliveryState(events) !== 'unknown') return;
    const unknown = events.findLast((e) => e.type === 'EmailSendUnknown') as Envelope<'EmailSendUnknown'>;
    const entry = await deps.state.attempts.get(emailId);
    const current = readJson<AttemptRecord>(entry) ?? rec;
    // Sent at the attempt whose answer was lost, as `resolve_unknown mark_sent` says.
    const settled = settledByReport(current, ev, current.attempted_at ?? unknown.occurred_at, now());
    const outcome = outcomeEvent({ agentId: rec.agent_id, aggregateId: emailId, ...cause, id: deterministicId(unknown.id, 'provider-outcome') }, settled);
    try {
      await deps.store.append(outcome, { expectedLastSubjectSeq: stored.lastSeq });
    } catch (err) {
      if (err instanceof ConcurrencyError && round < 5) continue; // another report got there first: look again
      throw err;
    }
    if (entry && live(entry))
      await deps.state.attempts
        .update(emailId, toBytes(settled), entry.revision)
        .catch((err) => deps.log.warn({ err, email_id: emailId }, 'could not update the attempt record'));
    if (settled.state === 'sent' && settled.message_id)
      await deps.state.messages.put(messageKey(settled.message_id), toBytes({ email_id: emailId, agent_id: rec.agent_id }));
    deps.log.info({ email_id: emailId, event: ev.event, state: settled.state }, 'SendGrid reported on an email whose outcome was unknown; settled by it');
    return;
  }
}

export async function suppress(state: MailerState, agentId: string, email: string, reason: string, emailId: string | null, at: Date): Promise<void> {
  const key = suppressionKey(agentId, email);
  if (live(await state.suppressions.get(key))) return;
  await state.suppressions.put(key, toBytes({ reason, email_id: emailId, at: at.toISOString() }));
}

/** `cmd.mailer.record_webhook_events`: the gateway hands over a verified batch. */
export function mailerCommands(deps: WebhookDeps): CommandHandlers<'mailer'> {
  return {
    async record_webhook_events(p, ctx) {
      let processed = 0;
      let duplicates = 0;
      let failed = 0;
      // Errors other than "unknown email" propagate: the gateway answers 5xx and SendGrid
      // retries the whole batch, which the dedup makes safe.
      // A few at a time: the email_logs projection doesn't depend on their order.
      const queue = [...p.events];
      const worker = async () => {
        for (let ev = queue.shift(); ev; ev = queue.shift()) {
          const r = await recordWebhookEvent(deps, ev, ctx.meta.correlation_id);
          if (r === 'unmatched') {
            failed++;
            ctx.log.warn({ sg_event_id: ev.sg_event_id, event: ev.event }, 'webhook event for an unknown email');
          } else {
            processed++;
            if (r === 'duplicate') duplicates++;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(16, p.events.length) }, worker));
      return { data: { processed, failed, total: p.events.length, duplicates }, position: null };
    },
  };
}
