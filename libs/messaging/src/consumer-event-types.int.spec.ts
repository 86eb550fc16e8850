import { headers } from '@nats-io/transport-node';
import type { Envelope } from '@realtoros/contracts';
import { createLogger } from '@realtoros/observability';
import { startJetStream, type TestJetStream, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEvent, runConsumer } from '../index.ts';

const log = createLogger('test', 'silent');
const AGENT = '0190a000-0000-7000-8000-0000000000a1';

const scheduled = (task: string) =>
  newEvent('TaskScheduled', {
    agentId: AGENT,
    aggregateId: task,
    correlationId: 't',
    causationId: null,
    data: {
      client_id: '0190a000-0000-7000-8000-0000000000c1',
      followup_type: 'Day 1',
      scheduled_for: '2026-12-01T10:00:00.000Z',
      priority: 'medium',
      notes: null,
      version: 1,
      origin: 'manual',
    },
  });
const due = (task: string) =>
  newEvent('TaskDue', {
    agentId: AGENT,
    aggregateId: task,
    correlationId: 't',
    causationId: null,
    data: {
      client_id: '0190a000-0000-7000-8000-0000000000c1',
      followup_type: 'Day 1',
      scheduled_for: '2026-12-01T10:00:00.000Z',
      version: 1,
      fired_at: '2026-12-01T10:00:00.100Z',
    },
  });

/** `eventTypes`: a consumer that acts on one type of a busy stream (the ai-agent's TaskDue). */
describe('a consumer that names its event types', () => {
  let js: TestJetStream;
  beforeAll(async () => {
    js = await startJetStream(['SCHEDULER']);
  });
  afterAll(async () => js?.dispose());

  it('hands only those types to the handler, acks the others without decoding them, and decodes a message without Event-Type as before', async () => {
    const seen: Envelope[] = [];
    const consumer = await runConsumer({
      js: js.store.js,
      jsm: js.store.jsm,
      stream: 'SCHEDULER',
      durable: 'types-test',
      filterSubject: 'sched.>',
      log,
      concurrency: 4,
      eventTypes: ['TaskDue'],
      handle: async (e) => void seen.push(e),
    });
    const tasks = ['0190a000-0000-7000-8000-000000000101', '0190a000-0000-7000-8000-000000000102', '0190a000-0000-7000-8000-000000000103'];
    for (const t of tasks) {
      await js.store.append(scheduled(t));
      await js.store.append(due(t));
    }
    // Not an event at all, under a type the consumer skips: never decoded, so never dead-lettered.
    const h = headers();
    h.set('Event-Type', 'TaskScheduled');
    await js.store.js.publish(`sched.${AGENT}.task.garbage`, 'not json', { headers: h });
    // No Event-Type header (written by something else): decoded and handed over as before.
    const bare = due('0190a000-0000-7000-8000-000000000104');
    await js.store.js.publish(`sched.${AGENT}.task.${bare.aggregate_id}`, JSON.stringify(bare));

    await waitFor(
      async () => {
        const info = await js.store.jsm.consumers.info('SCHEDULER', 'types-test');
        return info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.stream_seq === 8;
      },
      { what: 'every message acked', timeoutMs: 10_000 },
    );
    await consumer.stop();
    expect(seen.map((e) => e.type)).toEqual(['TaskDue', 'TaskDue', 'TaskDue', 'TaskDue']);
    expect(new Set(seen.map((e) => e.aggregate_id))).toEqual(new Set([...tasks, bare.aggregate_id]));
    const dead = await js.store.jsm.streams.info('DEADLETTERS').then((s) => s.state.messages);
    expect(dead).toBe(0);
  });
});
