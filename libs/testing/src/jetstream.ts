import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { StreamName } from '@realtoros/contracts';
import { createEventStore, ensureEventStreams, type EventStore } from '@realtoros/messaging';
import { startNats, type TestNats } from './nats.ts';

export type TestJetStream = { nats: TestNats; nc: NatsConnection; store: EventStore; dispose(): Promise<void> };

/** A suite's own NATS server, a connection, an event store and the event streams it needs. */
export async function startJetStream(streams: readonly StreamName[]): Promise<TestJetStream> {
  const nats = await startNats();
  const nc = await connect({ servers: nats.url });
  const store = await createEventStore(nc);
  await ensureEventStreams(store.jsm, streams);
  return {
    nats, nc, store,
    async dispose() {
      await nc.close();
      await nats.dispose();
    },
  };
}
