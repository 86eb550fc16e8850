import type { JetStreamClient } from '@nats-io/jetstream';
import type { StreamName } from '@realtoros/contracts';
import { recordDeadLetter } from '@realtoros/messaging';
import type { ParkedEvent } from './batch.ts';

/** The consumer name parked events carry in dead letters (`npm run ops -- dead-letters`). */
export const PROJECTOR_CONSUMER = 'projector';

/**
 * Copies the events that failed to the DEADLETTERS stream, with their reason. Those parked
 * only because they wait behind another are not failures and stay in `projection_parked`.
 */
export async function deadLetterParked(js: JetStreamClient, stream: StreamName, parked: ParkedEvent[]): Promise<void> {
  for (const p of parked) {
    if (p.behindSeq !== null) continue;
    await recordDeadLetter(
      js,
      PROJECTOR_CONSUMER,
      { seq: p.seq, subject: p.subject, data: p.data, info: { stream, deliveryCount: 1 } },
      p.reason,
    );
  }
}
