import { randomUUID } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import { Kvm } from '@nats-io/kv';
import { startJetStream, type TestJetStream } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientTaskIndex, clientTaskIndex } from './client-tasks-index.ts';

describe('client → manual tasks index (real JetStream KV)', () => {
  let j: TestJetStream;
  let kv: KV;
  let index: ClientTaskIndex;
  beforeAll(async () => {
    j = await startJetStream([]);
    kv = await new Kvm(j.nc).create('sched_client_tasks', { history: 1 });
    index = clientTaskIndex(kv, j.store.jsm);
  });
  afterAll(async () => j?.dispose());

  const consumers = async () => (await j.store.jsm.streams.info('KV_sched_client_tasks')).state.consumer_count;

  it("lists exactly a client's tasks, not another client's or another agent's", async () => {
    const [agent, other] = [randomUUID(), randomUUID()];
    const [client, sibling] = [randomUUID(), randomUUID()];
    const tasks = [randomUUID(), randomUUID(), randomUUID()].sort();
    for (const t of tasks) await index.add(agent, client, t);
    await index.add(agent, client, tasks[0] as string); // adding twice lists once
    await index.add(agent, sibling, randomUUID());
    await index.add(other, client, randomUUID());
    expect((await index.list(agent, client)).sort()).toEqual(tasks);
    expect(await index.list(agent, randomUUID())).toEqual([]);
  });

  it('leaves no consumer behind, however often it lists (empty and non-empty clients, concurrently)', async () => {
    const agent = randomUUID();
    const withTasks = Array.from({ length: 20 }, () => randomUUID());
    for (const c of withTasks) await index.add(agent, c, randomUUID());
    const before = await consumers(); // the first test listed too
    const lists = await Promise.all(
      Array.from({ length: 300 }, (_, i) => index.list(agent, i % 2 === 0 ? (withTasks[i % 20] as string) : randomUUID())),
    );
    expect(lists.filter((l) => l.length === 1)).toHaveLength(150);
    expect(lists.filter((l) => l.length === 0)).toHaveLength(150);
    // Ephemeral consumers linger until their inactivity threshold, so any would still be here.
    expect({ before, after: await consumers() }).toEqual({ before: 0, after: 0 });
  });
});
