import { randomUUID } from 'node:crypto';
import { DeliverPolicy } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { CommandName, CommandReply, Envelope, StreamName } from '@realtoros/contracts';
import { createEventStore, decodeEvent, ensureEventStreams, newEvent, sendCommand, type EventStore } from '@realtoros/messaging';
import { startNats, startService, type ServiceProcess, type TestNats } from '@realtoros/testing';

/** Shared by the scheduler's integration tests and the timer benchmark (not a test itself). */

/** Follow-ups seconds apart, so tests run in seconds: kind i falls due (i + offset) seconds after creation. */
export const fastSchedule = (firstSeconds = 2, stepSeconds = 1) =>
  JSON.stringify(
    (['Day 1', 'Day 3', 'Week 1', 'Week 2', 'Month 1'] as const).map((t, i) => ({
      followup_type: t,
      offset_seconds: firstSeconds + i * stepSeconds,
      priority: (['high', 'medium', 'medium', 'low', 'low'] as const)[i],
    })),
  );

export const newAgent = () => randomUUID();

export function clientCreated(agentId: string, clientId = randomUUID(), at = new Date()) {
  return newEvent('ClientCreated', {
    agentId,
    aggregateId: clientId,
    correlationId: `test-${clientId}`,
    causationId: null,
    occurredAt: at,
    data: {
      name: 'Ann Buyer', email: `ann.${clientId.slice(0, 8)}@example.com`, phone: null, property_address: null,
      property_type: 'residential', notes: null, custom_fields: {}, stage: 'lead',
    },
  });
}

export type SchedulerHarness = {
  nats: TestNats;
  nc: NatsConnection;
  store: EventStore;
  start(env?: Record<string, string>): ServiceProcess;
  /** Every event of a stream, in order. */
  events(stream?: StreamName): Promise<(Envelope & { seq: number })[]>;
  command(agentId: string, name: CommandName<'scheduler'>, payload: Record<string, unknown>): Promise<CommandReply>;
  dispose(): Promise<void>;
};

export async function schedulerHarness(baseEnv: Record<string, string> = {}): Promise<SchedulerHarness> {
  const nats = await startNats();
  const nc = await connect({ servers: nats.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
  const store = await createEventStore(nc);
  await ensureEventStreams(store.jsm, ['CRM', 'SCHEDULER', 'AI', 'MAILER']);
  const services: ServiceProcess[] = [];
  return {
    nats,
    nc,
    store,
    start(env = {}) {
      const p = startService('scheduler', { NATS_URL: nats.url, SCHEDULER_LEASE_TTL_MS: '2000', ...baseEnv, ...env });
      services.push(p);
      return p;
    },
    async events(stream = 'SCHEDULER') {
      const out: (Envelope & { seq: number })[] = [];
      const info = await store.jsm.streams.info(stream);
      if (info.state.messages === 0) return out;
      const last = info.state.last_seq;
      const c = await store.js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
      const it = await c.fetch({ max_messages: 1_000_000, expires: 5000 });
      for await (const m of it) {
        out.push({ ...decodeEvent(m.data), seq: m.seq });
        if (m.seq >= last) break;
      }
      return out;
    },
    command(agentId, name, payload) {
      const meta = { command_id: randomUUID(), agent_id: agentId, correlation_id: randomUUID(), issued_at: new Date().toISOString() };
      return sendCommand(nc, 'scheduler', name, payload as never, meta, { timeoutMs: 5000 });
    },
    async dispose() {
      await Promise.all(services.map((s) => s.stop('SIGKILL')));
      await nc.close();
      await nats.dispose();
    },
  };
}

/** TaskDue count per task id. */
export function dueCounts(events: Envelope[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) if (e.type === 'TaskDue') counts.set(e.aggregate_id, (counts.get(e.aggregate_id) ?? 0) + 1);
  return counts;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
