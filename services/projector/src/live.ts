import type { NatsConnection } from '@nats-io/transport-node';
import { liveSubject, type Envelope, type StreamName } from '@realtoros/contracts';

/**
 * After a batch is committed, tells live listeners (the gateway's SSE) what changed, per
 * agent. Announcing after the commit (not on the raw event) means a dashboard that reloads
 * on the notice reads data that already includes the change.
 */
export function announce(nc: NatsConnection, stream: StreamName, events: { event: Envelope; seq: number }[]): void {
  for (const { event, seq } of events) {
    if (event.type === 'AgentRegistered') continue; // carries a password hash; nothing to show live
    nc.publish(
      liveSubject(event.agent_id),
      JSON.stringify({
        id: event.id, type: event.type, aggregate: event.aggregate, aggregate_id: event.aggregate_id,
        occurred_at: event.occurred_at, stream, seq, data: event.data,
      }),
    );
  }
}
