import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { subjects } from '@realtoros/contracts';

/** What a dead letter needs of a message: a JsMsg, or a message the projector read and parked. */
export type DeadLetterSource = Pick<JsMsg, 'seq' | 'subject' | 'data'> & { info: Pick<JsMsg['info'], 'stream' | 'deliveryCount'> };

/**
 * Records a message that will not be processed (poison, or out of retries) for ops:
 * the original bytes plus where it came from and why. Terminating it without this would
 * lose it silently.
 */
export async function recordDeadLetter(js: JetStreamClient, consumer: string, msg: DeadLetterSource, reason: string): Promise<void> {
  const h = headers();
  h.set('Dlq-Stream', msg.info.stream);
  h.set('Dlq-Stream-Seq', String(msg.seq));
  h.set('Dlq-Subject', msg.subject);
  h.set('Dlq-Consumer', consumer);
  h.set('Dlq-Reason', reason.replace(/[\r\n]+/g, ' ').slice(0, 1000));
  h.set('Dlq-Deliveries', String(msg.info.deliveryCount));
  await js.publish(subjects.deadLetter(msg.info.stream, consumer), msg.data, {
    headers: h,
    msgID: `dlq:${msg.info.stream}:${consumer}:${msg.seq}`,
  });
}
