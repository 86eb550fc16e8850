import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type Envelope, subjects } from '@realtoros/contracts';
import { createLogger } from '@realtoros/observability';
import { startNats, type TestNats, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConcurrencyError,
  createEventStore,
  DomainError,
  type EventStore,
  ensureEventStreams,
  isAlreadyExists,
  isConsumerNotFound,
  isNoResponders,
  isStreamNotFound,
  isTimeout,
  isWrongLastSequence,
  newEvent,
  runConsumer,
  ServiceUnavailableError,
  sendCommand,
  serveCommands,
} from '../index.ts';

const log = createLogger('test', 'silent');
const AGENT = '0190a000-0000-7000-8000-000000000001';
const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const created = (id?: string) =>
  newEvent('ClientCreated', {
    agentId: AGENT,
    aggregateId: CLIENT,
    correlationId: 'c1',
    causationId: null,
    ...(id ? { id } : {}),
    data: {
      name: 'Ann',
      email: 'ann@example.com',
      phone: null,
      property_address: null,
      property_type: null,
      notes: null,
      custom_fields: {},
      stage: 'lead',
    },
  });

describe('messaging on a real JetStream', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let store: EventStore;
  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    await ensureEventStreams(await jetstreamManager(nc), ['CRM']);
    await ensureEventStreams(await jetstreamManager(nc), ['CRM']); // idempotent
    store = await createEventStore(nc);
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.dispose();
  });

  it('appends with optimistic concurrency and reads a subject back in order', async () => {
    const first = await store.append(created(), { expectedLastSubjectSeq: 0 });
    expect(first.seq).toBeGreaterThan(0);
    await expect(store.append(created(), { expectedLastSubjectSeq: 0 })).rejects.toBeInstanceOf(ConcurrencyError);
    const stage = newEvent('ClientStageChanged', {
      agentId: AGENT,
      aggregateId: CLIENT,
      correlationId: 'c1',
      causationId: null,
      data: { from: 'lead', to: 'contacted' },
    });
    await store.append(stage, { expectedLastSubjectSeq: first.seq });
    const { events, lastSeq } = await store.readSubject('CRM', `crm.${AGENT}.client.${CLIENT}`);
    expect(events.map((e) => e.event.type)).toEqual(['ClientCreated', 'ClientStageChanged']);
    expect(lastSeq).toBe(events[1]?.seq);
  });

  it('deduplicates by Nats-Msg-Id', async () => {
    const id = '0190a000-0000-7000-8000-00000000dddd';
    const e = newEvent('ClientDeleted', {
      id,
      agentId: AGENT,
      aggregateId: CLIENT,
      correlationId: 'x',
      causationId: null,
      data: { email: 'ann@example.com' },
    });
    const a = await store.append(e);
    const b = await store.append(e);
    expect(b.duplicate).toBe(true);
    expect(b.seq).toBe(a.seq);
  });

  it('consumes: acks, retries transient failures with backoff, dead-letters poison messages', async () => {
    const seen: string[] = [];
    let failures = 0;
    const consumer = await runConsumer({
      js: store.js,
      jsm: store.jsm,
      stream: 'CRM',
      durable: 'test-consumer',
      log,
      maxDeliver: 3,
      backoffMs: () => 50,
      handle: async (event: Envelope, ctx) => {
        if (event.type === 'ClientDeleted' && failures++ < 1) throw new Error('transient');
        seen.push(`${event.type}@${ctx.deliveryCount}`);
      },
    });
    await store.js.publish(`crm.${AGENT}.client.bad`, 'not json');
    await waitFor(async () => seen.includes('ClientDeleted@2'), { what: 'retried event' });
    const dlq = await waitFor(async () => (await store.jsm.streams.info('DEADLETTERS')).state.messages >= 1, { what: 'dead letter' });
    expect(dlq).toBe(true);
    const dead = await store.jsm.streams.getMessage('DEADLETTERS', { seq: 1 });
    expect(dead?.header.get('Dlq-Reason')).toMatch(/not JSON/);
    expect(seen.slice(0, 2)).toEqual(['ClientCreated@1', 'ClientStageChanged@1']);
    await consumer.stop();
  });

  it('with concurrency > 1, handles several messages of one durable at once, each exactly once', async () => {
    const agent = '0190a000-0000-7000-8000-0000000000a9';
    for (let i = 0; i < 12; i++)
      await store.append(
        newEvent('ClientDeleted', {
          agentId: agent,
          aggregateId: `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}`,
          correlationId: 'k',
          causationId: null,
          data: { email: `p${i}@example.com` },
        }),
      );
    let running = 0;
    let peak = 0;
    const seen: string[] = [];
    const consumer = await runConsumer({
      js: store.js,
      jsm: store.jsm,
      stream: 'CRM',
      durable: 'parallel-consumer',
      filterSubject: `crm.${agent}.>`,
      log,
      concurrency: 4,
      handle: async (e) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 50));
        seen.push(e.aggregate_id);
        running--;
      },
    });
    await waitFor(async () => seen.length === 12, { what: '12 handled' });
    expect(peak).toBe(4);
    expect(new Set(seen).size).toBe(12);
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toHaveLength(12); // nothing handled twice
    await consumer.stop();
  });

  it('propagates the W3C trace id from publisher to consumer, with a new span', async () => {
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const event = newEvent('ClientUnsubscribed', {
      agentId: AGENT,
      aggregateId: CLIENT,
      correlationId: 't',
      causationId: null,
      data: { source: 'agent', at: new Date().toISOString() },
    });
    await store.append(event, { traceparent: parent });
    let seen: string | null = null;
    const consumer = await runConsumer({
      js: store.js,
      jsm: store.jsm,
      stream: 'CRM',
      durable: 'trace-consumer',
      log,
      filterSubject: `crm.${AGENT}.client.${CLIENT}`,
      handle: async (e, ctx) => {
        if (e.id === event.id) seen = ctx.traceparent;
      },
    });
    await waitFor(async () => seen !== null, { what: 'traced event' });
    expect(seen).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(seen).not.toBe(parent);
    await consumer.stop();
  });

  it('commands: replies, maps domain errors, and fails fast when nobody serves', async () => {
    const meta = {
      command_id: '0190a000-0000-7000-8000-0000000000f1',
      agent_id: AGENT,
      correlation_id: 'k',
      issued_at: new Date().toISOString(),
    };
    await expect(sendCommand(nc, 'crm', 'delete_client', { client_id: CLIENT }, meta, { timeoutMs: 1000 })).rejects.toBeInstanceOf(
      ServiceUnavailableError,
    );
    const sub = serveCommands(
      nc,
      'crm',
      {
        delete_client: async (p) => {
          if (p.client_id === CLIENT) throw new DomainError('not_found', 'no such client');
          return { data: { ok: 1 }, position: null };
        },
      },
      log,
    );
    const reply = await sendCommand(nc, 'crm', 'delete_client', { client_id: CLIENT }, meta);
    expect(reply).toEqual({ ok: false, error: { code: 'not_found', detail: 'no such client' } });
    const bad = await sendCommand(nc, 'crm', 'delete_client', { client_id: 'nope' } as never, meta);
    expect(bad.ok).toBe(false);
    sub.unsubscribe();
  });

  it("recognises NATS failures by the client library's classes and API codes, never by message text", async () => {
    // wrong last sequence (10071) → ConcurrencyError, with the library's error as its cause
    const err = await store.append(created(), { expectedLastSubjectSeq: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurrencyError);
    expect(isWrongLastSequence((err as Error).cause)).toBe(true);
    expect(isWrongLastSequence(new Error('wrong last sequence'))).toBe(false); // the text alone means nothing
    expect(isStreamNotFound(await store.jsm.streams.info('NO_SUCH_STREAM').catch((e: unknown) => e))).toBe(true);
    expect(isConsumerNotFound(await store.jsm.consumers.info('CRM', 'no-such-consumer').catch((e: unknown) => e))).toBe(true);
    const clash = await store.jsm.streams.add({ name: 'CRM', subjects: ['other.>'] }).catch((e: unknown) => e);
    expect(isAlreadyExists(clash)).toBe(true);
    const noOne = await nc.request('nobody.listens', '', { timeout: 1000 }).catch((e: unknown) => e);
    expect([isNoResponders(noOne), isTimeout(noOne)]).toEqual([true, false]);
    const silent = nc.subscribe('never.answers');
    const slow = await nc.request('never.answers', '', { timeout: 200 }).catch((e: unknown) => e);
    expect([isTimeout(slow), isNoResponders(slow)]).toEqual([true, false]);
    silent.unsubscribe();
    // A service that answers too slowly is "unavailable", like one that is down.
    const stuck = nc.subscribe(subjects.command('crm', 'delete_client'), { queue: 'crm' });
    const meta = {
      command_id: '0190a000-0000-7000-8000-0000000000f2',
      agent_id: AGENT,
      correlation_id: 'k',
      issued_at: new Date().toISOString(),
    };
    const late = await sendCommand(nc, 'crm', 'delete_client', { client_id: CLIENT }, meta, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(ServiceUnavailableError);
    expect((late as Error).message).toMatch(/no answer in time/);
    stuck.unsubscribe();
  });
});
