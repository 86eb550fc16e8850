import type { JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';

/**
 * Which manual tasks belong to a client, learned from our own writes (planned tasks need no
 * index: their ids derive from (client, kind)). Keys `<agent>.<client>.<task>` in a KV
 * bucket, so a client's tasks are the bucket's subjects under `<agent>.<client>.*`.
 *
 * Listing reads those subjects from the bucket's stream info (`subjects_filter`): one
 * request, no consumer. `kv.keys()` creates an ephemeral ordered consumer per call and,
 * when nothing matches (the common case: most clients have no manual task), returns without
 * ever stopping it, so under load hundreds of consumers piled up on the bucket's stream.
 * The index is add-only (a cancelled or finished task stays listed; cancelling it again is a
 * no-op), so a key's presence as a subject is all `list` needs.
 */
export function clientTaskIndex(kv: KV, jsm: JetStreamManager, bucket = 'sched_client_tasks') {
  const stream = `KV_${bucket}`;
  const prefix = `$KV.${bucket}.`;
  return {
    async add(agentId: string, clientId: string, taskId: string): Promise<void> {
      await kv.put(`${agentId}.${clientId}.${taskId}`, '1');
    },
    async list(agentId: string, clientId: string): Promise<string[]> {
      const info = await jsm.streams.info(stream, { subjects_filter: `${prefix}${agentId}.${clientId}.*` });
      return Object.keys(info.state.subjects ?? {})
        .map((subject) => subject.slice(prefix.length).split('.')[2] ?? '')
        .filter(Boolean)
        .sort();
    },
  };
}
export type ClientTaskIndex = ReturnType<typeof clientTaskIndex>;
