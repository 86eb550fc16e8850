import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { DeliverPolicy } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Envelope } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';
import { type EventStore, newEvent } from '@realtoros/messaging';
import { createLogger } from '@realtoros/observability';
import { createTestDatabase, startJetStream, startService, type TestNats, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { applyBatch, type RawMessage } from './batch.ts';
import { brokerageHistory } from './ops/history.fixture.ts';
import { replay } from './ops/replay.ts';
import { PROJECTED_STREAMS, replayedTables } from './projection.ts';
import { PROJECTIONS } from './read-models/index.ts';
import { planScenario } from './read-models/plans.fixture.ts';
import { type StreamProjector, startStreamProjector } from './stream-projector.ts';

const log = createLogger('test', 'silent');
const uuid = (n: number, prefix = '0190a000-0000-7000-8000') => `${prefix}-${n.toString(16).padStart(12, '0')}`;

/** Everything the read models hold, in a stable order, minus wall-clock bookkeeping. */
async function snapshot(db: Db) {
  return {
    agents: await db.selectFrom('agents').selectAll().orderBy('id').execute(),
    clients: await db.selectFrom('clients').selectAll().orderBy('id').execute(),
    tasks: await db.selectFrom('tasks').selectAll().orderBy('id').execute(),
    email_logs: await db.selectFrom('email_logs').selectAll().orderBy('id').execute(),
    client_events: await db.selectFrom('client_events').selectAll().orderBy('stream').orderBy('seq').execute(),
    checkpoints: await db.selectFrom('projection_checkpoints').select(['projection', 'stream', 'last_seq']).orderBy('stream').execute(),
  };
}

function clientEvents(agent: string, client: string, i: number): Envelope[] {
  const base = { agentId: agent, aggregateId: client, correlationId: `c${i}`, causationId: null };
  const events: Envelope[] = [
    newEvent('ClientCreated', {
      ...base,
      data: {
        name: `Client ${i}`,
        email: `c${i}@example.com`,
        phone: null,
        property_address: `${i} Main St`,
        property_type: 'residential',
        notes: null,
        custom_fields: { n: i },
        stage: 'lead',
      },
    }),
    newEvent('ClientUpdated', { ...base, data: { changes: { phone: `555-${String(i).padStart(4, '0')}` } } }),
  ];
  if (i % 3 === 0) events.push(newEvent('ClientStageChanged', { ...base, data: { from: 'lead', to: 'qualified' } }));
  if (i % 7 === 0) events.push(newEvent('ClientDeleted', { ...base, data: { email: `c${i}@example.com` } }));
  return events;
}

async function readAll(store: EventStore, stream: string): Promise<RawMessage[]> {
  const info = await store.jsm.streams.info(stream);
  if (info.state.messages === 0) return [];
  const c = await store.js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const out: RawMessage[] = [];
  const it = await c.consume();
  for await (const m of it) {
    out.push({ seq: m.seq, data: m.data, subject: m.subject });
    if (m.info.pending === 0) break;
  }
  await it.close();
  return out;
}

describe('projector on real JetStream and Postgres', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let store: EventStore;
  beforeAll(async () => {
    ({ nats, nc, store } = await startJetStream(PROJECTED_STREAMS));
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.dispose();
  });

  it('the same events processed twice leave the read model unchanged', async () => {
    const t = await createTestDatabase();
    try {
      const agent = uuid(1, '0190b000-0000-7000-8000');
      for (let i = 0; i < 20; i++) for (const e of clientEvents(agent, uuid(i, '0190b001-0000-7000-8000'), i)) await store.append(e);
      const messages = await readAll(store, 'CRM');
      await applyBatch({ db: t.db, schema: 'public', stream: 'CRM', messages, projections: PROJECTIONS, log });
      const once = await snapshot(t.db);
      expect(once.clients).toHaveLength(20);
      // Redelivery of the whole batch: the checkpoint skips it.
      const again = await applyBatch({ db: t.db, schema: 'public', stream: 'CRM', messages, projections: PROJECTIONS, log });
      expect(again.applied).toBe(0);
      expect(await snapshot(t.db)).toEqual(once);
      // Even past the checkpoint (lost checkpoint), the projections themselves are idempotent.
      await t.db.updateTable('projection_checkpoints').set({ last_seq: 0 }).execute();
      const replayed = await applyBatch({
        db: t.db,
        schema: 'public',
        stream: 'CRM',
        messages: messages.filter((m) => m.seq % 2 === 0),
        projections: PROJECTIONS,
        log,
      });
      expect(replayed.applied).toBeGreaterThan(0);
      await applyBatch({ db: t.db, schema: 'public', stream: 'CRM', messages, projections: PROJECTIONS, log });
      const after = await snapshot(t.db);
      expect(after.clients).toEqual(once.clients);
      expect(after.client_events).toEqual(once.client_events);
    } finally {
      await t.dispose();
    }
  });

  it('killed mid-batch and restarted, the projector converges exactly; ops replay rebuilds identical read models', async () => {
    const t = await createTestDatabase();
    const expected = await createTestDatabase();
    try {
      // Fresh stream content for this test: a second agent's many clients.
      const agent = uuid(2, '0190c000-0000-7000-8000');
      const events = Array.from({ length: 1500 }, (_, i) => clientEvents(agent, uuid(i, '0190c001-0000-7000-8000'), i)).flat();
      for (let i = 0; i < events.length; i += 200) await Promise.all(events.slice(i, i + 200).map((e) => store.append(e)));
      const all = await readAll(store, 'CRM');
      const lastSeq = all.at(-1)?.seq ?? 0;
      expect(all.length).toBeGreaterThan(3000);

      // The truth: everything applied in one go, in process.
      await applyBatch({ db: expected.db, schema: 'public', stream: 'CRM', messages: all, projections: PROJECTIONS, log });

      const env = { NATS_URL: nats.url, DATABASE_URL: t.url, PROJECTOR_BATCH_SIZE: '25' };
      const checkpoint = async () =>
        Number(
          (await t.db.selectFrom('projection_checkpoints').select('last_seq').where('stream', '=', 'CRM').executeTakeFirst())?.last_seq ??
            0,
        );
      const first = startService('projector', env);
      await waitFor(async () => (await checkpoint()) > 200, { timeoutMs: 30_000, what: 'projector progress' });
      await first.stop('SIGKILL');
      const atKill = await checkpoint();
      expect(atKill).toBeGreaterThan(0);
      expect(atKill).toBeLessThan(lastSeq); // it really was interrupted

      const second = startService('projector', env);
      await waitFor(async () => (await checkpoint()) === lastSeq, { timeoutMs: 60_000, what: 'projector caught up' });
      const converged = await snapshot(t.db);
      const truth = await snapshot(expected.db);
      expect(converged.clients).toEqual(truth.clients);
      expect(converged.client_events).toEqual(truth.client_events);
      expect(converged.clients.filter((c) => c.is_deleted && c.agent_id === agent)).toHaveLength(Math.ceil(1500 / 7));

      // Replay while the live projector keeps running: identical read models afterwards.
      const before = await snapshot(t.db);
      const cli = resolve(import.meta.dirname, 'ops/cli.ts');
      const { stdout } = await promisify(execFile)(process.execPath, [cli, 'replay'], {
        env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
      });
      expect(stdout).toMatch(/replayed [\d,]+ events .* events\/s/);
      const afterReplay = await snapshot(t.db);
      expect(afterReplay).toEqual(before);
      // And the live projector still works on the swapped-in tables.
      const late = uuid(99999, '0190c002-0000-7000-8000');
      const lateEvents = clientEvents(agent, late, 3000);
      for (const e of lateEvents) await store.append(e);
      await waitFor(
        async () => (await t.db.selectFrom('clients').select('stage').where('id', '=', late).executeTakeFirst())?.stage === 'qualified',
        { what: 'live projection after replay' },
      ).catch((err) => {
        throw new Error(`${err}\n${second.output()}`);
      });
      await second.stop();
    } finally {
      await t.dispose();
      await expected.dispose();
    }
  }, 180_000); // several processes and a replay: slow when the machine is shared

  it('replay output equals the live read models: a brokerage history through the live projector, then ops replay, every replayed table row for row', async () => {
    const t = await createTestDatabase();
    const projectors: StreamProjector[] = [];
    try {
      // Live: the four stream projectors as main.ts runs them (small batches, streams side by side),
      // following while the history is appended in causal order.
      for (const stream of PROJECTED_STREAMS)
        projectors.push(await startStreamProjector({ js: store.js, db: t.db, stream, projections: PROJECTIONS, log, batchSize: 50 }));
      let window: Promise<unknown>[] = [];
      for (const e of brokerageHistory({ agents: 3, clientsPerAgent: 60, seed: 'replay-equals-live' })) {
        window.push(store.append(e));
        if (window.length >= 200) {
          await Promise.all(window);
          window = [];
        }
      }
      await Promise.all(window);
      for (const s of planScenario('replay-equals-live').events) await store.append(s);
      const lasts = await Promise.all(PROJECTED_STREAMS.map(async (s) => (await store.jsm.streams.info(s)).state.last_seq));
      const caughtUp = async () => {
        const rows = await t.db.selectFrom('projection_checkpoints').select(['stream', 'last_seq']).execute();
        return PROJECTED_STREAMS.every((s, i) => rows.find((r) => r.stream === s)?.last_seq === lasts[i]);
      };
      await waitFor(caughtUp, { timeoutMs: 60_000, what: 'live projector caught up' });
      for (const p of projectors.splice(0)) await p.stop();

      const tables = replayedTables(PROJECTIONS);
      const dump = async () => {
        const out: Record<string, unknown[]> = {};
        for (const table of tables) {
          const { rows } = await sql<{ row: Record<string, unknown> }>`SELECT to_jsonb(x) AS row FROM ${sql.table(table)} x`.execute(t.db);
          out[table] = rows
            .map(({ row }) => {
              // Wall-clock bookkeeping, not read-model content: when the checkpoint last moved, when an event was parked.
              if (table === 'projection_checkpoints') delete row.updated_at;
              if (table === 'projection_parked') delete row.parked_at;
              // Known race of the live projector, not of replay: a client's ClientCreated (CRM) and
              // its first EmailSent or ClientReplied (MAILER) projected in two concurrent
              // transactions each miss the other's uncommitted write, so last_contacted/replied_at
              // can stay null live while replay (MAILER after CRM) sets them. Left for a fix of its
              // own (projector DESIGN.md, "Cross-stream columns").
              if (table === 'clients') {
                delete row.last_contacted;
                delete row.replied_at;
              }
              return JSON.stringify(row);
            })
            .sort();
        }
        return out;
      };
      const live = await dump();
      // Tags set on creation, replaced by ClientUpdated and by ClientStageChanged (issue 10) are in both.
      const tagged = await t.db.selectFrom('clients').select(['tags', 'tag_keys']).where('tags', '!=', sql<string[]>`'{}'`).execute();
      expect(tagged.length).toBeGreaterThan(20);
      expect(tagged.every((r) => JSON.stringify(r.tag_keys) === JSON.stringify(r.tags.map((x) => x.toLowerCase())))).toBe(true);
      expect(tagged.some((r) => r.tags.includes('Seller'))).toBe(true);
      expect(live.tasks?.length).toBeGreaterThan(900);
      expect(live.email_logs?.length).toBeGreaterThan(300);
      expect(live.email_events?.length).toBeGreaterThan(300);
      const r = await replay({ db: t.db, js: store.js, jsm: store.jsm, projections: PROJECTIONS, log, batchSize: 700 });
      expect(r.events).toBeGreaterThan(3000);
      const replayed = await dump();
      expect(replayed).toEqual(live);
      // The indexes keep the migrations' names after the swap.
      const { rows: indexes } = await sql<{
        n: string;
      }>`SELECT indexname AS n FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'tasks'`.execute(t.db);
      expect(indexes.map((i) => i.n)).toContain('tasks_agent_status_idx');
    } finally {
      for (const p of projectors) await p.stop();
      await t.dispose();
    }
  }, 180_000);

  // Last: it appends SCHEDULER events, which the previous test's projector process would also project.
  it('clients and tasks carry aggregate_seq: the sequence of the last event on their own subject (the ETag)', async () => {
    const t = await createTestDatabase();
    try {
      const agent = uuid(3, '0190d000-0000-7000-8000');
      const ids = Array.from({ length: 6 }, (_, i) => uuid(i, '0190d001-0000-7000-8000'));
      const task = uuid(1, '0190d002-0000-7000-8000');
      for (const [i, id] of ids.entries()) for (const e of clientEvents(agent, id, i)) await store.append(e);
      const base = { agentId: agent, aggregateId: task, correlationId: 'c', causationId: null };
      await store.append(
        newEvent('TaskScheduled', {
          ...base,
          data: {
            client_id: ids[0] ?? '',
            followup_type: 'Day 1',
            scheduled_for: '2026-12-01T10:00:00.000Z',
            priority: 'high',
            notes: null,
            version: 1,
            origin: 'manual',
          },
        }),
      );
      await store.append(newEvent('TaskDetailsChanged', { ...base, data: { client_id: ids[0] ?? '', notes: 'call first' } }));
      const crm = await readAll(store, 'CRM');
      const sched = await readAll(store, 'SCHEDULER');
      await applyBatch({ db: t.db, schema: 'public', stream: 'CRM', messages: crm, projections: PROJECTIONS, log });
      await applyBatch({ db: t.db, schema: 'public', stream: 'SCHEDULER', messages: sched, projections: PROJECTIONS, log });
      for (const id of ids) {
        const last = Math.max(...crm.filter((m) => m.subject === `crm.${agent}.client.${id}`).map((m) => m.seq));
        const row = await t.db.selectFrom('clients').select('aggregate_seq').where('id', '=', id).executeTakeFirstOrThrow();
        expect(row.aggregate_seq).toBe(last);
      }
      const lastTask = Math.max(...sched.filter((m) => m.subject === `sched.${agent}.task.${task}`).map((m) => m.seq));
      const taskRow = await t.db.selectFrom('tasks').select(['aggregate_seq', 'notes']).where('id', '=', task).executeTakeFirstOrThrow();
      expect(taskRow).toEqual({ aggregate_seq: lastTask, notes: 'call first' });
    } finally {
      await t.dispose();
    }
  });
});
