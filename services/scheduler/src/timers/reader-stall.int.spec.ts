import { randomUUID } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { type EventStore, newEvent } from '@realtoros/messaging';
import { createLogger } from '@realtoros/observability';
import { startJetStream, type TestNats, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskStore } from '../task/task-store.ts';
import { dueCounts, sleep } from '../test-support.ts';
import type { Lease } from './lease.ts';
import { startTicker } from './ticker.ts';
import { endOf, ensureTimerStream, minuteOf, publishTimer, TIMER_STREAM } from './timer-stream.ts';

const log = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');
const alwaysHeld: Lease = { held: () => true, lost: () => new Promise(() => {}), acquired: async () => {}, stop: async () => {} };
const HORIZON = 35 * 86_400_000;

/**
 * A minute reader that stops delivering — here its consumer is deleted on the server, as a
 * server that dropped an ephemeral consumer would leave it — must be replaced from the
 * sequence it had reached: every timer of the minute, those it had delivered and those
 * published after it stopped, fires exactly once, and none is handled twice (a replacement
 * that re-read the minute would handle the delivered ones again).
 */
describe('a stalled minute reader (real nats-server)', () => {
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
        agentId: agent,
        aggregateId: task,
        correlationId: 'c',
        causationId: null,
        data: {
          client_id: randomUUID(),
          followup_type: 'Custom',
          scheduled_for: new Date(at).toISOString(),
          priority: 'medium',
          notes: null,
          version: 1,
          origin: 'manual',
        },
      }),
      { expectedLastSubjectSeq: 0 },
    );
    await publishTimer(store.js, { agent_id: agent, task_id: task, version: 1, at }, { now: Date.now(), horizonMs: HORIZON });
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
  /** Every minute reader's consumer, deleted on the server: the readers stop delivering. */
  async function stallEveryReader(): Promise<number> {
    let n = 0;
    for await (const c of store.jsm.consumers.list(TIMER_STREAM)) {
      await store.jsm.consumers.delete(TIMER_STREAM, c.name);
      n++;
    }
    return n;
  }

  it('is replaced from where it stopped: every timer of the minute fires once, none is lost or handled twice', async () => {
    // Not across a minute's end: the minute stays open (and its reader needed) all along.
    if (endOf(minuteOf(Date.now())) - Date.now() < 15_000) await sleep(endOf(minuteOf(Date.now())) - Date.now() + 100);
    const state = await new Kvm(nc).create(`state_stall_${randomUUID().slice(0, 8)}`, { history: 1 });
    const tasks = createTaskStore(store);
    const ticker = startTicker({
      js: store.js,
      jsm: store.jsm,
      stateKv: state,
      lease: alwaysHeld,
      tasks,
      log,
      horizonMs: HORIZON,
      concurrency: 32,
      stallMs: 1500,
    });
    await waitFor(async () => ticker.stats().openMinutes > 0, { what: 'ticker reading its minutes' });
    const agent = randomUUID();
    const minuteEnd = endOf(minuteOf(Date.now()));
    const at = (i: number) => Math.min(minuteEnd - 1000, Date.now() + 3000 + (i % 20) * 100);

    // Read (and some fired) by the first reader.
    const before: string[] = [];
    for (let i = 0; i < 100; i++) before.push(await schedule(agent, at(i)));
    await waitFor(async () => ticker.stats().queued + ticker.stats().fired >= 100, { what: 'the first 100 read' });
    expect(await stallEveryReader()).toBeGreaterThan(0);
    // Only a replacement can deliver these.
    const after: string[] = [];
    for (let i = 0; i < 100; i++) after.push(await schedule(agent, at(i)));

    const all = [...before, ...after];
    const counts = await waitFor(
      async () => {
        const c = await dues();
        return all.every((id) => c.has(id)) && c;
      },
      { what: 'all 200 due', timeoutMs: 12_000 },
    );
    await sleep(1500); // a second TaskDue would show by now
    const final = await dues();
    expect(all.filter((id) => final.get(id) !== 1)).toEqual([]);
    expect(all.filter((id) => counts.get(id) !== 1)).toEqual([]);
    const stats = ticker.stats();
    // Each timer handled once: a replacement that re-read the minute would find the first 100 stale.
    expect(stats.fired).toBe(200);
    expect(stats.stale).toBe(0);
    expect(stats.readersReplaced).toBeGreaterThan(0);
    await ticker.stop();
  });
});
