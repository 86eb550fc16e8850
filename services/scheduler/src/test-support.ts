import { randomUUID } from 'node:crypto';
import { DeliverPolicy } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { CommandName, CommandReply, Envelope, EventData, StreamName } from '@realtoros/contracts';
import { createEventStore, decodeEvent, type EventStore, ensureEventStreams, newEvent, sendCommand } from '@realtoros/messaging';
import { planTaskId } from '@realtoros/planning';
import { type ServiceProcess, startNats, startService, type TestNats, waitFor } from '@realtoros/testing';
import { enrollmentIdFor } from './planning/client-events.listener.ts';

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

export function clientCreated(agentId: string, clientId = randomUUID(), at = new Date(), over: Partial<EventData<'ClientCreated'>> = {}) {
  return newEvent('ClientCreated', {
    agentId,
    aggregateId: clientId,
    correlationId: `test-${clientId}`,
    causationId: null,
    occurredAt: at,
    data: {
      name: 'Ann Buyer',
      email: `ann.${clientId.slice(0, 8)}@example.com`,
      phone: null,
      property_address: null,
      property_type: 'residential',
      notes: null,
      custom_fields: {},
      stage: 'lead',
      ...over,
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

/** The default plan's step ids (FOLLOWUP_SCHEDULE's kinds). */
export const DEFAULT_STEP_IDS = ['day-1', 'day-3', 'week-1', 'week-2', 'month-1'] as const;

/** The enrolment a ClientCreated starts (default plan or the picked one), and its task ids by step. */
export function createdEnrollment(created: Envelope, stepIds: readonly string[] = DEFAULT_STEP_IDS) {
  const enrollmentId = enrollmentIdFor(created.aggregate_id, created.id);
  return { enrollmentId, taskIds: stepIds.map((s) => planTaskId(enrollmentId, s)) };
}

/** Waits until the scheduler answers commands (its consumers and handlers are set up by then). */
export function commandsReady(h: SchedulerHarness, timeoutMs = 15_000) {
  return waitFor(
    async () => {
      try {
        await h.command(newAgent(), 'update_task', { task_id: randomUUID(), notes: 'ready?' });
        return true;
      } catch {
        return false;
      }
    },
    { what: 'scheduler answering commands', timeoutMs },
  );
}

/** Waits until a durable consumer has handled (and acked) everything appended so far. */
export function drained(h: SchedulerHarness, stream: StreamName, durable: string, timeoutMs = 15_000) {
  return waitFor(
    async () => {
      const info = await h.store.jsm.consumers.info(stream, durable);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    { what: `${durable} caught up`, timeoutMs },
  );
}

/** TaskDue count per task id. */
export function dueCounts(events: Envelope[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) if (e.type === 'TaskDue') counts.set(e.aggregate_id, (counts.get(e.aggregate_id) ?? 0) + 1);
  return counts;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
