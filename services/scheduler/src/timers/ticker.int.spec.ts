import { randomUUID } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { newEvent, type EventStore } from '@realtoros/messaging';
import { createLogger } from '@realtoros/observability';
import { startJetStream, type TestNats, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskStore } from '../task/task-store.ts';
import { dueCounts, sleep } from '../test-support.ts';
import type { Lease } from './lease.ts';
import { startTicker } from './ticker.ts';
import { ensureTimerStream, minuteOf, publishTimer, timerSubject, encodeTimer } from './timer-stream.ts';

const log = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');
/** A lease that is always held: lets two tickers run at once, as a split brain would. */
const alwaysHeld: Lease = { held: () => true, lost: () => new Promise(() => {}), acquired: async () => {}, stop: async () => {} };
const HORIZON = 35 * 86_400_000;

describe('the ticker on its own (in-process, real JetStream)', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let store: EventStore;
  beforeAll(async () => {
    ({ nats, nc, store } = await startJetStream(['SCHEDULER']));
    await ensureTimerStream(store.jsm, 35);
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.dispose();
  });

  async function schedule(agent: string, at: number): Promise<string> {
    const task = randomUUID();
    await store.append(
      newEvent('TaskScheduled', {
        agentId: agent, aggregateId: task, correlationId: 'c', causationId: null,
        data: { client_id: randomUUID(), followup_type: 'Custom', scheduled_for: new Date(at).toISOString(), priority: 'medium', notes: null, version: 1, origin: 'manual' },
      }),
      { expectedLastSubjectSeq: 0 },
    );
    return task;
  }
  const dues = async () => {
    const out = [];
    const c = await store.js.consumers.get('SCHEDULER', { filter_subjects: 'sched.>' });
    const info = await c.info();
    if (info.num_pending === 0) return dueCounts([]);
    for await (const m of await c.fetch({ max_messages: 100_000, expires: 2000 })) {
      out.push(JSON.parse(m.string()));
      if (m.info.pending === 0) break;
    }
    return dueCounts(out);
  };

  it('two tickers at once (split brain): optimistic concurrency on the task subject still fires each task once', async () => {
    const kvm = new Kvm(nc);
    const stateA = await kvm.create('state_a', { history: 1 });
    const stateB = await kvm.create('state_b', { history: 1 });
    const tasks = createTaskStore(store);
    const agent = randomUUID();
    const now = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const at = now + 1500 + (i % 20) * 100;
      const id = await schedule(agent, at);
      await publishTimer(store.js, { agent_id: agent, task_id: id, version: 1, at }, { now, horizonMs: HORIZON });
      ids.push(id);
    }
    const a = startTicker({ js: store.js, jsm: store.jsm, stateKv: stateA, lease: alwaysHeld, tasks, log, horizonMs: HORIZON, concurrency: 32 });
    const b = startTicker({ js: store.js, jsm: store.jsm, stateKv: stateB, lease: alwaysHeld, tasks, log, horizonMs: HORIZON, concurrency: 32 });
    const counts = await waitFor(async () => {
      const c = await dues();
      return ids.every((id) => c.has(id)) && c;
    }, { what: 'all due', timeoutMs: 15_000 });
    await sleep(1000);
    expect(ids.filter((id) => counts.get(id) !== 1)).toEqual([]);
    // Both tickers tried every timer; between them exactly 200 appends went through.
    expect(a.stats().fired + a.stats().stale).toBe(200);
    expect(b.stats().fired + b.stats().stale).toBe(200);
    expect(a.stats().fired + b.stats().fired).toBe(200);
    await a.stop();
    await b.stop();
  });

  it('a timer published into a minute already finished still fires (straggler sweep)', async () => {
    const kvm = new Kvm(nc);
    const state = await kvm.create('state_c', { history: 1 });
    const tasks = createTaskStore(store);
    const ticker = startTicker({ js: store.js, jsm: store.jsm, stateKv: state, lease: alwaysHeld, tasks, log, horizonMs: HORIZON });
    await waitFor(async () => ticker.stats().cursor !== null, { what: 'ticker started' });
    await sleep(500); // past its first sweep
    const agent = randomUUID();
    const at = Date.now() - 1000;
    const task = await schedule(agent, at);
    // Straight into a minute the ticker has finished (≤ its cursor): as a publisher with a slow clock would.
    const past = ticker.stats().cursor ?? 0;
    expect(past).toBeLessThan(minuteOf(Date.now()));
    await store.js.publish(timerSubject(past), encodeTimer({ agent_id: agent, task_id: task, version: 1, at }));
    await waitFor(async () => (await dues()).get(task) === 1, { what: 'straggler fired', timeoutMs: 12_000 });
    await ticker.stop();
  });
});
