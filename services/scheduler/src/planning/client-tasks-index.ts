import type { KV } from '@nats-io/kv';

/**
 * Which manual tasks belong to a client, learned from our own writes (planned tasks need no
 * index: their ids derive from (client, kind)). Keys `<agent>.<client>.<task>` in a KV
 * bucket, so a client's tasks are one filtered key listing.
 */
export function clientTaskIndex(kv: KV) {
  return {
    async add(agentId: string, clientId: string, taskId: string): Promise<void> {
      await kv.put(`${agentId}.${clientId}.${taskId}`, '1');
    },
    async list(agentId: string, clientId: string): Promise<string[]> {
      const ids: string[] = [];
      for await (const key of await kv.keys(`${agentId}.${clientId}.*`)) ids.push(key.split('.')[2] ?? '');
      return ids.filter(Boolean);
    },
  };
}
export type ClientTaskIndex = ReturnType<typeof clientTaskIndex>;
