import type { NatsConnection } from '@nats-io/transport-node';
import type { Envelope } from '@realtoros/contracts';
import { deterministicId, sendCommand } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import { type AttemptRecord, type MailerState, readJson } from '../state.ts';
import { SUPPRESSING, suppress } from './webhook.ts';

/**
 * Follows the mailer's own stream: every bounce, drop, spam report or unsubscribe keeps the
 * address on the suppression list (the webhook handler already did it; this makes it hold
 * even if that handler died between its append and its KV write), and an unsubscribe or spam
 * report from SendGrid unsubscribes the client in the CRM too (source `webhook`).
 */
export async function onEngagement(deps: { state: MailerState; nc: NatsConnection; log: Logger }, event: Envelope): Promise<void> {
  if (
    event.type !== 'EmailBounced' &&
    event.type !== 'EmailDropped' &&
    event.type !== 'EmailSpamReported' &&
    event.type !== 'EmailUnsubscribed'
  )
    return;
  const rec = readJson<AttemptRecord>(await deps.state.attempts.get(event.aggregate_id));
  if (rec)
    await suppress(
      deps.state,
      event.agent_id,
      rec.to_email,
      SUPPRESSING[event.data.event] ?? event.data.event,
      event.aggregate_id,
      new Date(event.data.timestamp),
    );
  if (event.type === 'EmailSpamReported' || event.type === 'EmailUnsubscribed') {
    const reply = await sendCommand(
      deps.nc,
      'crm',
      'unsubscribe_client',
      { client_id: event.data.client_id, source: 'webhook' },
      {
        command_id: deterministicId(event.id, 'unsubscribe'),
        agent_id: event.agent_id,
        correlation_id: event.correlation_id,
        issued_at: new Date().toISOString(),
      },
    );
    // Already unsubscribed answers ok; a client gone (not found, deleted) leaves nothing to do.
    // Anything else — a conflict that outlasted the CRM's own retries, an internal error — must
    // not drop the unsubscribe: thrown, so the message is redelivered (dead-lettered at the end).
    const gone = !reply.ok && (reply.error.code === 'not_found' || reply.error.code === 'illegal_transition');
    if (!reply.ok && !gone) throw new Error(`crm could not unsubscribe the client (${reply.error.code}): ${reply.error.detail}`);
  }
}
