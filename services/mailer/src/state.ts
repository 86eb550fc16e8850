import { createHash } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { natsReplicas } from '@realtoros/messaging';

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
