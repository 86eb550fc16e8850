import { subjects, type Envelope } from '@realtoros/contracts';
import { ConcurrencyError, deterministicId, newEvent, type EventStore } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import { buildMessage, type MessageOptions } from '../message.ts';
import { SendError, type Address, type EmailSender } from '../providers/types.ts';
import { reportIn, settledByReport } from './provider-report.ts';
import {
  live, messageKey, readJson, suppressionKey, toBytes, type AttemptRecord, type MailerState, type Suppression,
} from '../state.ts';

export type MailerDeps = {
  store: EventStore;
  state: MailerState;
  sender: EmailSender;
  message: MessageOptions;
  log: Logger;
  /** Tries per email for transient failures (default 3) and the first backoff. */
  maxAttempts: number;
  retryBaseMs: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
};

export const OUTCOMES = new Set<string>(['EmailSent', 'EmailFailed', 'EmailSendUnknown', 'EmailSuppressed']);
type Outcome = Envelope<'EmailSent' | 'EmailFailed' | 'EmailSendUnknown' | 'EmailSuppressed'>;

/**
 * EmailGenerated → exactly one provider send → EmailSent | EmailFailed | EmailSuppressed, or
 * EmailSendUnknown when a previous delivery was interrupted after the attempt was recorded.
 *
 * The attempt record is created (KV `create`, fails if present) before the provider is
 * called and updated with the outcome right after, so a redelivery always finds out what
 * happened: an outcome → the same outcome event again (deterministic id, expected-empty
 * subject); `sending` with no outcome → it may have gone out: unknown, never resent.
 */
export async function onEmailGenerated(deps: MailerDeps, event: Envelope<'EmailGenerated'>, traceparent: string | null): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const emailId = event.aggregate_id;
  const d = event.data;
  const existing = await deps.state.attempts.get(emailId);
  if (live(existing)) return replayOutcome(deps, event, existing.json<AttemptRecord>(), existing.revision, traceparent);

  const base: AttemptRecord = {
    agent_id: event.agent_id, client_id: d.client_id, task_id: d.task_id, to_email: d.to_email, provider: deps.sender.provider,
    state: 'sending', attempts: 0, message_id: null, sent_at: null, reason: null, updated_at: now().toISOString(),
  };

  const suppressed = await suppressionReason(deps, event);
  if (suppressed) {
    const rec: AttemptRecord = { ...base, state: 'suppressed', reason: suppressed };
    if (!(await createAttempt(deps, emailId, rec))) return onEmailGenerated(deps, event, traceparent);
    return recordOutcome(deps, outcomeEvent(outcomeRef(event), rec), traceparent);
  }

  if (!(await createAttempt(deps, emailId, base))) return onEmailGenerated(deps, event, traceparent);
  const revision = (await deps.state.attempts.get(emailId))?.revision ?? 0;
  const rec = await sendAttempts(deps, event, base, revision);
  return recordOutcome(deps, outcomeEvent(outcomeRef(event), rec), traceparent);
}

/**
 * One round of provider calls for an email whose attempt record is at `revision` (state
 * `sending`): up to `maxAttempts` tries for transient failures. The record is updated before
 * each call (a crash during it leaves `sending` behind: unknown, never a resend) and with the
 * outcome right after. Returns the record in its final state: `sent`, `failed` or `unknown`.
 */
export async function sendAttempts(deps: MailerDeps, event: Envelope<'EmailGenerated'>, start: AttemptRecord, startRevision: number): Promise<AttemptRecord> {
  const now = deps.now ?? (() => new Date());
  const emailId = event.aggregate_id;
  const message = buildMessage(event, await agentAddress(deps, event.agent_id), deps.message);
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let revision = startRevision;
  let rec = start;

  for (let attempt = 1; ; attempt++) {
    // Written before each call: a crash during it leaves `sending` behind, never a resend.
    rec = { ...rec, attempts: attempt, attempted_at: now().toISOString(), updated_at: now().toISOString() };
    revision = await deps.state.attempts.update(emailId, toBytes(rec), revision);
    try {
      const { messageId } = await deps.sender.send(message);
      rec = { ...rec, state: 'sent', message_id: messageId, sent_at: now().toISOString(), updated_at: now().toISOString() };
      // The one write that must not be lost to a NATS blip: without it a redelivery could
      // only say "unknown" about an email that did go out.
      const sentRevision = revision;
      await persistently(() => deps.state.attempts.update(emailId, toBytes(rec), sentRevision));
      await persistently(() => deps.state.messages.put(messageKey(messageId), toBytes({ email_id: emailId, agent_id: event.agent_id })));
      return rec;
    } catch (err) {
      const e = err instanceof SendError ? err : new SendError('ambiguous', `send failed: ${(err as Error).message}`, { cause: err });
      if (e.kind === 'transient' && attempt < deps.maxAttempts) {
        const delay = Math.min(30_000, Math.max(e.retryAfterMs ?? 0, deps.retryBaseMs * 2 ** (attempt - 1)));
        deps.log.warn({ email_id: emailId, attempt, retry_in_ms: delay, reason: e.message }, 'send failed; retrying');
        await sleep(delay);
        continue;
      }
      const state = e.kind === 'ambiguous' ? 'unknown' : 'failed';
      const reason = e.kind === 'transient' ? `${e.message} (gave up after ${attempt} attempts)` : e.message;
      rec = { ...rec, state, reason, updated_at: now().toISOString() };
      await deps.state.attempts.update(emailId, toBytes(rec), revision);
      deps.log.warn({ email_id: emailId, state, reason }, 'email not sent');
      return rec;
    }
  }
}

export async function persistently<T>(write: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await write();
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 100 * 2 ** i));
    }
  }
}

async function createAttempt(deps: MailerDeps, emailId: string, rec: AttemptRecord): Promise<boolean> {
  try {
    await deps.state.attempts.create(emailId, toBytes(rec));
    return true;
  } catch (err) {
    if (live(await deps.state.attempts.get(emailId))) return false; // someone else got there first
    throw err;
  }
}

/**
 * A redelivery: the attempt record knows what happened. Still `sending`: the process died
 * during the call, so it is never resent; it becomes `unknown`, unless SendGrid has already
 * reported on it (the report settles it: sent, confirmed by the provider, or failed if dropped).
 */
async function replayOutcome(deps: MailerDeps, event: Envelope<'EmailGenerated'>, rec: AttemptRecord, revision: number, traceparent: string | null) {
  // The agent already had this email resent: its first outcome was recorded (a resend needs
  // one), and the record now belongs to the resend, which must not be marked unknown from here.
  if (rec.resend_id) return;
  if (rec.state === 'sending') {
    const now = deps.now?.() ?? new Date();
    // SendGrid may already have reported on it (its webhook is often quicker than a redelivery).
    const report = reportIn((await deps.store.readSubject('MAILER', subjects.mailedEmail(event.agent_id, event.aggregate_id))).events.map((e) => e.event));
    rec = report
      ? settledByReport(rec, report, rec.attempted_at ?? rec.updated_at, now)
      : {
          ...rec, state: 'unknown', updated_at: now.toISOString(),
          reason: `interrupted during send attempt ${rec.attempts}; the provider may have accepted it, so it is not resent`,
        };
    await deps.state.attempts.update(event.aggregate_id, toBytes(rec), revision);
    deps.log.warn({ email_id: event.aggregate_id, state: rec.state, report: report?.event }, 'found an unfinished send attempt');
  }
  if (rec.state === 'sent' && rec.message_id)
    await deps.state.messages.put(messageKey(rec.message_id), toBytes({ email_id: event.aggregate_id, agent_id: event.agent_id }));
  return recordOutcome(deps, outcomeEvent(outcomeRef(event), rec), traceparent);
}

/** Who an outcome event belongs to and its id: the first outcome's id is fixed per email. */
export type OutcomeRef = { agentId: string; aggregateId: string; correlationId: string; causationId: string; id: string };
const outcomeRef = (event: Envelope<'EmailGenerated'>): OutcomeRef => ({
  agentId: event.agent_id, aggregateId: event.aggregate_id, correlationId: event.correlation_id, causationId: event.id,
  id: deterministicId(event.aggregate_id, 'delivery-outcome'),
});

export function outcomeEvent(base: OutcomeRef, rec: AttemptRecord): Outcome {
  const ref = { task_id: rec.task_id, client_id: rec.client_id };
  switch (rec.state) {
    case 'sent':
      return newEvent('EmailSent', {
        ...base, occurredAt: new Date(rec.sent_at ?? rec.updated_at),
        data: {
          ...ref, to_email: rec.to_email, provider: rec.provider, message_id: rec.message_id ?? (rec.confirmed_by ? 'unknown' : ''),
          sent_at: rec.sent_at ?? rec.updated_at, attempts: Math.max(1, rec.attempts), ...(rec.confirmed_by ? { confirmed_by: rec.confirmed_by } : {}),
        },
      });
    case 'failed':
      return newEvent('EmailFailed', { ...base, data: { ...ref, provider: rec.provider, reason: (rec.reason ?? 'failed').slice(0, 2000), attempts: rec.attempts } });
    case 'suppressed':
      return newEvent('EmailSuppressed', { ...base, data: { ...ref, to_email: rec.to_email, reason: rec.reason ?? 'suppressed' } });
    case 'unknown':
    case 'sending':
      return newEvent('EmailSendUnknown', { ...base, data: { ...ref, provider: rec.provider, reason: rec.reason ?? 'outcome unknown' } });
  }
}

/**
 * Appends the email's delivery outcome once: it is the first event on the email's MAILER
 * subject (expected sequence 0). If something is already there, it is either the outcome
 * (done) or an early webhook event (append after it; the fixed id dedups).
 */
async function recordOutcome(deps: MailerDeps, event: Outcome, traceparent: string | null): Promise<void> {
  try {
    await deps.store.append(event, { expectedLastSubjectSeq: 0, traceparent });
  } catch (err) {
    if (!(err instanceof ConcurrencyError)) throw err;
    const { events } = await deps.store.readSubject('MAILER', subjects.mailedEmail(event.agent_id, event.aggregate_id));
    if (events.some((e) => OUTCOMES.has(e.event.type))) return;
    await deps.store.append(event, { traceparent });
  }
}

/** Why this email must not go out, if it mustn't: the client's CRM events, then the suppression list. */
export async function suppressionReason(deps: MailerDeps, event: Envelope<'EmailGenerated'>): Promise<string | null> {
  const { events } = await deps.store.readSubject('CRM', subjects.client(event.agent_id, event.data.client_id));
  if (events.some((e) => e.event.type === 'ClientDeleted')) return 'client_deleted';
  if (events.some((e) => e.event.type === 'ClientUnsubscribed')) return 'unsubscribed';
  const s = readJson<Suppression>(await deps.state.suppressions.get(suppressionKey(event.agent_id, event.data.to_email)));
  return s ? s.reason : null;
}

const agents = new Map<string, { at: number; address: Address | null }>();
async function agentAddress(deps: MailerDeps, agentId: string): Promise<Address | null> {
  const hit = agents.get(agentId);
  if (hit && Date.now() - hit.at < 60_000) return hit.address;
  const { events } = await deps.store.readSubject('CRM', subjects.agent(agentId));
  const reg = events.find((e) => e.event.type === 'AgentRegistered')?.event;
  const address = reg?.type === 'AgentRegistered' ? { email: reg.data.email, name: reg.data.name } : null;
  agents.set(agentId, { at: Date.now(), address });
  return address;
}
