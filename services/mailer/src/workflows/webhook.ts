import type { CommandPayload } from '@realtoros/contracts';
import { type CommandHandlers, deterministicId, type EventStore, eventIdFor, newEvent } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import { messageIdOf, reportDraft, type WebhookReport } from '../email/decide.ts';
import { emailHandler } from '../email/handler.ts';
import {
  type AttemptRecord,
  attemptOf,
  followEvents,
  live,
  type MailerState,
  messageKey,
  readJson,
  seenKey,
  suppressionKey,
  toBytes,
} from '../state.ts';

type WebhookEvent = CommandPayload<'mailer', 'record_webhook_events'>['events'][number];
export type WebhookDeps = { store: EventStore; state: MailerState; log: Logger; now?: () => Date };

/** Events after which the address is never sent to again (for this agent). */
export const SUPPRESSING: Record<string, string> = {
  bounce: 'bounced',
  dropped: 'dropped',
  spamreport: 'spam_reported',
  unsubscribe: 'unsubscribed',
  group_unsubscribe: 'unsubscribed',
};

/**
 * Webhook events recorded at once: each is a few NATS round trips, so throughput is
 * round-trip bound (measured in-process, 5,000 events over 300 emails: see DESIGN.md).
 */
const WEBHOOK_CONCURRENCY = 64;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Finds the email a webhook event is about: our custom args first, else the message-id prefix. */
type Target = { emailId: string; rec: AttemptRecord; revision: number };
async function emailOf(state: MailerState, ev: WebhookEvent): Promise<Target | null> {
  let emailId: string | null = ev.email_id && UUID.test(ev.email_id) ? ev.email_id : null;
  if (!emailId && ev.sg_message_id) {
    const prefix = messageIdOf(ev.sg_message_id) ?? '';
    const m = readJson<{ email_id: string }>(await state.messages.get(messageKey(prefix)));
    emailId = m?.email_id ?? null;
  }
  if (!emailId) return null;
  const entry = await state.attempts.get(emailId);
  const rec = readJson<AttemptRecord>(entry);
  if (!entry || !rec) return null;
  if (ev.agent_id && ev.agent_id !== rec.agent_id) return null;
  return { emailId, rec, revision: entry.revision };
}

/**
 * Records one verified webhook event: deduplicated by `sg_event_id` (the seen-set, and the
 * event id derived from it for JetStream's duplicate window), mapped to its email, appended
 * to the email's MAILER subject; suppressing events also update the suppression list here,
 * before SendGrid gets its answer, so the very next send is already blocked.
 *
 * Two paths, one rule (the decider's `RecordProviderReport`):
 * - the record says the email may be waiting for a report (`unknown`, or `sending` — a send in
 *   flight, or one whose answer was lost): the email's command path loads its events and
 *   decides; an unknown email is settled by the report (EmailSent confirmed by the provider,
 *   or EmailFailed for `dropped`) before the report is recorded, at the expected sequence, so
 *   reports racing in one batch, a batch sent again and a redelivery settle it once;
 * - otherwise the outcome is on record and a report is history only: its event (the same
 *   draft and the same id the decider would give it) is appended without reading the
 *   subject, which an email with thousands of opens would make quadratic.
 */
export async function recordWebhookEvent(
  deps: WebhookDeps,
  ev: WebhookEvent,
  correlationId: string,
  lanes: Lanes = oneAtATimePerKey(),
  find: (ev: WebhookEvent) => Promise<Target | null> = (e) => emailOf(deps.state, e),
): Promise<'recorded' | 'duplicate' | 'unmatched' | 'invalid'> {
  // Seconds, any integer the schema lets through; past JavaScript's last date (milliseconds
  // sent as seconds) it is no instant, and toISOString would throw and fail the whole batch.
  const at = new Date(ev.timestamp * 1000);
  if (Number.isNaN(at.getTime())) return 'invalid';
  const seen = seenKey(ev.sg_event_id);
  if (live(await deps.state.seen.get(seen))) return 'duplicate';
  const target = await find(ev);
  if (!target) return 'unmatched';
  const { emailId, rec } = target;
  const report: WebhookReport = {
    sg_event_id: ev.sg_event_id,
    event: ev.event,
    timestamp: at.toISOString(),
    url: ev.url,
    reason: ev.reason,
    sg_message_id: ev.sg_message_id,
  };
  // The cause keys the ids of what the report leads to: the same report always gives the same events.
  const causationId = deterministicId('sendgrid', ev.sg_event_id);
  const mayWait = (r: AttemptRecord) => r.state === 'unknown' || r.state === 'sending';

  // Reports on one email in one batch decide one after the other (not racing for its subject);
  // the record is read again in the lane: the report before may have settled it.
  const recorded = !mayWait(rec)
    ? await appendReport(deps, rec, emailId, report, { correlationId, causationId })
    : await lanes.run(emailId, async () => {
        const entry = await deps.state.attempts.get(emailId);
        const fresh = readJson<AttemptRecord>(entry) ?? rec;
        if (!entry || !mayWait(fresh)) return appendReport(deps, fresh, emailId, report, { correlationId, causationId });
        return decideReport(deps, fresh, entry.revision, emailId, report, { correlationId, causationId });
      });

  const reason = SUPPRESSING[ev.event];
  if (reason) await suppress(deps.state, rec.agent_id, rec.to_email, reason, emailId, at);
  await deps.state.seen.put(seen, toBytes(1));
  // Not recorded again: the same event twice in one batch, or a retry after a crash between
  // the append and the seen-set write (suppression and seen-set are still brought up to date).
  return recorded ? 'recorded' : 'duplicate';
}

type Cause = { correlationId: string; causationId: string };

/** The slow path: the email's command path loads its events and `RecordProviderReport` decides. True when anything was recorded. */
async function decideReport(
  deps: WebhookDeps,
  rec: AttemptRecord,
  revision: number,
  emailId: string,
  report: WebhookReport,
  cause: Cause,
): Promise<boolean> {
  const now = deps.now ?? (() => new Date());
  const emails = emailHandler(deps.store);
  const generated = await emails.generated(rec.agent_id, emailId);
  const command = {
    type: 'RecordProviderReport',
    report,
    ref: { task_id: rec.task_id, client_id: rec.client_id },
    attempt: attemptOf(rec),
  } as const;
  const result = await emails.handle(rec.agent_id, emailId, generated, command, { ...cause, occurredAt: new Date(report.timestamp) });
  const outcome = result.events.find((e) => e.type === 'EmailSent' || e.type === 'EmailFailed');
  if (!outcome) return result.events.length > 0;
  await followEvents(deps.state, deps.log, emailId, rec, revision, result.state, now());
  deps.log.info(
    { email_id: emailId, event: report.event, outcome: outcome.type },
    'SendGrid reported on an email whose outcome was unknown; settled by it',
  );
  return true;
}

/**
 * The fast path: the outcome is on record, so the report is history; the decider's draft and id,
 * no read. False when JetStream already had that event (a duplicate acknowledgement).
 */
async function appendReport(deps: WebhookDeps, rec: AttemptRecord, emailId: string, report: WebhookReport, cause: Cause): Promise<boolean> {
  const draft = reportDraft(report, { task_id: rec.task_id, client_id: rec.client_id });
  const ack = await deps.store.append(
    newEvent(draft.type, {
      id: eventIdFor(draft.type, emailId, cause.causationId),
      agentId: rec.agent_id,
      aggregateId: emailId,
      ...cause,
      occurredAt: new Date(report.timestamp),
      data: draft.data,
    }),
  );
  return !ack.duplicate;
}

export type Lanes = { run<T>(key: string, work: () => Promise<T>): Promise<T> };

/** Work under one key runs one at a time, in arrival order; different keys run side by side. */
export function oneAtATimePerKey(): Lanes {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async run(key, work) {
      const before = tails.get(key) ?? Promise.resolve();
      const mine = before.catch(() => undefined).then(work);
      tails.set(key, mine);
      try {
        return await mine;
      } finally {
        if (tails.get(key) === mine) tails.delete(key);
      }
    },
  };
}

export async function suppress(
  state: MailerState,
  agentId: string,
  email: string,
  reason: string,
  emailId: string | null,
  at: Date,
): Promise<void> {
  const key = suppressionKey(agentId, email);
  if (live(await state.suppressions.get(key))) return;
  await state.suppressions.put(key, toBytes({ reason, email_id: emailId, at: at.toISOString() }));
}

/** `cmd.mailer.record_webhook_events`: the gateway hands over a verified batch. */
export function mailerCommands(deps: WebhookDeps): CommandHandlers<'mailer'> {
  // Shared by every batch this process handles: two batches on one email don't race either.
  const lanes = oneAtATimePerKey();
  return {
    async record_webhook_events(p, ctx) {
      let processed = 0;
      let duplicates = 0;
      let failed = 0;
      // Errors other than "unknown email" propagate: the gateway answers 5xx and SendGrid
      // retries the whole batch, which the dedup makes safe.
      // A few at a time: the email_logs projection doesn't depend on their order.
      const queue = [...p.events];
      // One look-up per email per batch (SendGrid sends dozens of events per email): a record
      // read here may be stale by the time an event is recorded, which is safe — the fast path
      // is taken only for an outcome on record (final), and the slow path reads it again.
      const found = new Map<string, Promise<Target | null>>();
      const find = (ev: WebhookEvent) => {
        const key = `${ev.email_id ?? ''}\u0000${messageIdOf(ev.sg_message_id) ?? ''}\u0000${ev.agent_id ?? ''}`;
        const hit = found.get(key) ?? emailOf(deps.state, ev);
        found.set(key, hit);
        return hit;
      };
      const worker = async () => {
        for (let ev = queue.shift(); ev; ev = queue.shift()) {
          const r = await recordWebhookEvent(deps, ev, ctx.meta.correlation_id, lanes, find);
          if (r === 'unmatched' || r === 'invalid') {
            failed++;
            const why = r === 'invalid' ? 'webhook event with a timestamp that is no real instant' : 'webhook event for an unknown email';
            ctx.log.warn({ sg_event_id: ev.sg_event_id, event: ev.event, timestamp: ev.timestamp }, why);
          } else {
            processed++;
            if (r === 'duplicate') duplicates++;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(WEBHOOK_CONCURRENCY, p.events.length) }, worker));
      return { data: { processed, failed, total: p.events.length, duplicates }, position: null };
    },
  };
}
