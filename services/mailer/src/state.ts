import { createHash } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import { type KV, type KvEntry, Kvm } from '@nats-io/kv';
import { natsReplicas } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import type { Attempt, Outcome } from './email/decide.ts';
import type { EmailState } from './email/email.ts';

/**
 * The mailer's own durable state, in NATS KV (so the mailer needs no database):
 * - `mailer_attempts`: one record per email, created *before* the provider is called; its
 *   state tells a redelivery what happened (the exactly-once guard);
 * - `mailer_messages`: provider message id → email, to map webhook events without custom args;
 * - `mailer_suppressions`: per agent and address, never sent to again;
 * - `mailer_webhook_seen`: SendGrid `sg_event_id`s already recorded (SendGrid retries for
 *   up to 72 hours; kept for 7 days).
 */
export type AttemptState = 'sending' | 'sent' | 'failed' | 'unknown' | 'suppressed';
export type AttemptRecord = {
  agent_id: string;
  client_id: string;
  task_id: string | null;
  to_email: string;
  provider: string;
  state: AttemptState;
  attempts: number;
  message_id: string | null;
  sent_at: string | null;
  reason: string | null;
  updated_at: string;
  /** When the provider was last called (written with the attempt, before the call). */
  attempted_at?: string | null;
  /**
   * The `EmailResendRequested` event this record's current round of attempts belongs to, once
   * the agent chose to send an `unknown` email again; a redelivery of that request finds it
   * here and never sends twice.
   */
  resend_id?: string | null;
  /**
   * Set when the outcome was unknown and someone else vouched that it went out: SendGrid's
   * webhook (`provider`) or the agent (`agent`); carried onto the EmailSent it becomes.
   */
  confirmed_by?: 'agent' | 'provider' | null;
};
export type Suppression = { reason: string; email_id: string | null; at: string };

export type MailerState = {
  attempts: KV;
  messages: KV;
  suppressions: KV;
  seen: KV;
};

const DAY_MS = 86_400_000;

export async function openMailerState(js: JetStreamClient): Promise<MailerState> {
  const kvm = new Kvm(js);
  const [attempts, messages, suppressions, seen] = await Promise.all([
    kvm.create('mailer_attempts', { history: 1, replicas: natsReplicas() }),
    kvm.create('mailer_messages', { history: 1, replicas: natsReplicas() }),
    kvm.create('mailer_suppressions', { history: 1, replicas: natsReplicas() }),
    kvm.create('mailer_webhook_seen', { history: 1, ttl: 7 * DAY_MS, replicas: natsReplicas() }),
  ]);
  return { attempts, messages, suppressions, seen };
}

const hex = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 40);
export const suppressionKey = (agentId: string, email: string) => `${agentId}.${hex(email.trim().toLowerCase())}`;
export const messageKey = (messageId: string) => hex(messageId);
export const seenKey = (sgEventId: string) => hex(sgEventId);

export const live = (e: KvEntry | null): e is KvEntry => !!e && e.operation === 'PUT';
export function readJson<T>(e: KvEntry | null): T | null {
  return live(e) ? e.json<T>() : null;
}
export const toBytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** The record's provider calls for its round, as the decider's commands take them. */
export const attemptOf = (rec: AttemptRecord): Attempt => ({ attempts: rec.attempts, attempted_at: rec.attempted_at ?? null });

/**
 * What the record says about its round, as a `RecordOutcome`: the provider's answer, written
 * right after it came; or, still `sending`, an answer that was lost (the process died during
 * the call), so the provider may have the email: unknown, never resent by itself.
 */
export function outcomeOf(rec: AttemptRecord): Outcome {
  const calls = { attempts: rec.attempts, provider: rec.provider };
  switch (rec.state) {
    case 'sent':
      return { kind: 'sent', ...calls, message_id: rec.message_id ?? 'unknown', sent_at: rec.sent_at ?? rec.updated_at };
    case 'failed':
      return { kind: 'failed', ...calls, reason: rec.reason ?? 'failed' };
    case 'suppressed':
      return { kind: 'suppressed', reason: rec.reason ?? 'suppressed' };
    case 'unknown':
      return { kind: 'unknown', ...calls, reason: rec.reason ?? 'outcome unknown', attempted_at: rec.attempted_at ?? rec.updated_at };
    case 'sending':
      return {
        kind: 'unknown',
        ...calls,
        attempted_at: rec.attempted_at ?? rec.updated_at,
        reason: `interrupted during ${rec.resend_id ? 'resend' : 'send'} attempt ${rec.attempts}; the provider may have accepted it, so it is not resent`,
      };
  }
}

/**
 * The record brought in line with the email's events after a decision on its round (a report
 * or the agent settled it, or a lost answer became unknown), or null when it already agrees or
 * belongs to another round. The events are the truth; the record follows them so that a late
 * redelivery, the webhook's fast path and a resend read the same story.
 */
export function recordFollowing(rec: AttemptRecord, email: EmailState, now: Date): AttemptRecord | null {
  if (email.status === 'absent' || (rec.resend_id ?? null) !== email.round) return null;
  const at = { updated_at: now.toISOString() };
  switch (email.status) {
    case 'sent': {
      if (rec.state === 'sent') return null;
      const by = email.confirmed_by;
      return {
        ...rec,
        ...at,
        state: 'sent',
        sent_at: email.sent_at,
        confirmed_by: by,
        message_id: email.message_id === 'unknown' ? rec.message_id : email.message_id,
        reason: by ? `confirmed sent by ${by === 'agent' ? 'the agent' : 'SendGrid'}` : rec.reason,
      };
    }
    case 'failed':
    case 'suppressed':
    case 'unknown':
      return rec.state === email.status ? null : { ...rec, ...at, state: email.status, reason: email.reason };
    default:
      return null; // generated or resending: the round is still open
  }
}

/**
 * Writes `recordFollowing` (compare-and-set on the revision read) and indexes a message id
 * learned from a report. Losing the record write is harmless — the outcome is on the email's
 * subject and every reader decides from there — so it is logged, not thrown.
 */
export async function followEvents(
  state: MailerState,
  log: Logger,
  emailId: string,
  rec: AttemptRecord,
  revision: number,
  email: EmailState,
  now: Date,
): Promise<void> {
  const next = recordFollowing(rec, email, now);
  if (!next) return;
  await state.attempts
    .update(emailId, toBytes(next), revision)
    .catch((err) => log.warn({ err, email_id: emailId }, 'could not update the attempt record'));
  // A message id learned from a report (the record had none, or 'unknown'): index it too.
  if (next.message_id !== rec.message_id) await indexMessageId(state, emailId, next);
}

/**
 * Maps the provider's message id to the email (for webhook events without our custom args).
 * Written right after the provider answers; written again by a redelivery, which may follow a
 * crash between the record's update and this write.
 */
export async function indexMessageId(state: MailerState, emailId: string, rec: AttemptRecord): Promise<void> {
  if (rec.state === 'sent' && rec.message_id && rec.message_id !== 'unknown')
    await state.messages.put(messageKey(rec.message_id), toBytes({ email_id: emailId, agent_id: rec.agent_id }));
}
