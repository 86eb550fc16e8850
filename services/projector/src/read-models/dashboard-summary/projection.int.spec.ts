import { DeliverPolicy } from '@nats-io/jetstream';
import type { Envelope, EventData, EventType, StreamName } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';
import { type EventStore, newEvent } from '@realtoros/messaging';
import { createLogger } from '@realtoros/observability';
import { dashboardStats } from '@realtoros/queries';
import { createTestDatabase, startJetStream, type TestDatabase, type TestJetStream } from '@realtoros/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBatch, type RawMessage } from '../../batch.ts';
import { replay } from '../../ops/replay.ts';
import { PROJECTED_STREAMS } from '../../projection.ts';
import { PROJECTIONS } from '../index.ts';
import { type PlanScenario, planScenario } from '../plans.fixture.ts';
import { countDashboardSummary, dashboardSummaryProjection } from './projection.ts';

const log = createLogger('test', 'silent');

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

/** The summary's tables, in a stable order (dates as text). */
async function summary(db: Db) {
  const rows = async (table: string, order: string) =>
    (await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} ORDER BY ${sql.raw(order)}`.execute(db)).rows.map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])),
    );
  return {
    client_rows: await rows('dashboard_client_rows', 'client_id'),
    client_counts: await rows('dashboard_client_counts', 'agent_id, stage'),
    task_rows: await rows('dashboard_task_rows', 'task_id'),
    task_counts: await rows('dashboard_task_counts', 'agent_id, status, day, held'),
    email_rows: await rows('dashboard_email_rows', 'email_id'),
    email_counts: await rows('dashboard_email_counts', 'agent_id, status'),
    email_days: await rows('dashboard_email_days', 'agent_id, day'),
  };
}

/** What counting the read models from nothing gives (the same function a seed uses). */
async function recounted(db: Db) {
  for (const t of dashboardSummaryProjection.tables) await sql`DELETE FROM ${sql.table(t)}`.execute(db);
  await countDashboardSummary(db, 'all');
  return summary(db);
}

describe('dashboard summary (issue 11) kept by the projector, on real JetStream and Postgres', () => {
  let js: TestJetStream;
  let s: PlanScenario;
  const messages = new Map<StreamName, RawMessage[]>();
  const dbs: TestDatabase[] = [];

  const project = async (db: Db, opts: { isolate?: boolean; batch?: number } = {}) => {
    for (const stream of PROJECTED_STREAMS) {
      const all = messages.get(stream) ?? [];
      const size = opts.batch ?? all.length;
      for (let i = 0; i < all.length; i += Math.max(size, 1))
        await applyBatch({
          db,
          schema: 'public',
          stream,
          messages: all.slice(i, i + size),
          projections: PROJECTIONS,
          log,
          isolate: opts.isolate,
        });
    }
  };
  const fresh = async () => {
    const t = await createTestDatabase();
    dbs.push(t);
    return t.db;
  };

  beforeAll(async () => {
    js = await startJetStream(PROJECTED_STREAMS);
    s = planScenario('dashboard-summary');
    // The scenario (clients, a stage change, tasks planned, held, moved, cancelled, completed,
    // an email written and sent), then what happens to the email and the clients later:
    // reports (delivered, opened twice, clicked), a stage change and a deletion.
    const extra: Envelope[] = [];
    const ev = <T extends EventType>(type: T, aggregateId: string, data: EventData<T>, minute: number) =>
      extra.push(
        newEvent(type, {
          agentId: s.agent,
          aggregateId,
          data,
          correlationId: 'summary',
          causationId: null,
          occurredAt: s.at(minute),
        }) as Envelope,
      );
    const report = (event: string, n: number, day: number) => ({
      task_id: s.tasks.t3,
      client_id: s.clients.c2,
      sg_event_id: `sg-${event}-${n}`,
      event,
      timestamp: new Date(Date.UTC(2026, 10, 23 + day, 9)).toISOString(),
    });
    ev('EmailDelivered', s.email, report('delivered', 1, 0), 200);
    ev('EmailOpened', s.email, report('open', 1, 1), 201);
    ev('EmailOpened', s.email, report('open', 2, 2), 202);
    ev('EmailClicked', s.email, report('click', 1, 3), 203);
    ev('ClientStageChanged', s.clients.c1, { from: 'lead', to: 'qualified', changes: {} }, 204);
    ev('ClientDeleted', s.clients.c3, { email: 'cy@example.com' }, 205);
    for (const e of [...s.events, ...extra]) await js.store.append(e);
    for (const stream of PROJECTED_STREAMS) messages.set(stream, await readAll(js.store, stream));
  });
  afterAll(async () => {
    for (const t of dbs) await t.dispose();
    await js?.dispose();
  });

  it('counts what the rows say, whether a stream comes in one batch, batches of 3, or event by event under savepoints', async () => {
    const whole = await fresh();
    await project(whole);
    const live = await summary(whole);
    // Not vacuous: every table has rows, the reports and the deletion are in them.
    for (const [table, rows] of Object.entries(live)) expect(rows.length, table).toBeGreaterThan(0);
    expect(live.email_counts).toEqual([{ agent_id: s.agent, status: 'clicked', n: 1, sent: 1, reported: 1, opened: 1, clicked: 1 }]);
    expect(live.client_rows.map((r) => r.client_id)).not.toContain(s.clients.c3);
    const threes = await fresh();
    await project(threes, { batch: 3 });
    const slow = await fresh();
    await project(slow, { isolate: true });
    expect(await summary(threes)).toEqual(live);
    expect(await summary(slow)).toEqual(live);
    // …and the same as counting the rows from nothing.
    expect(await recounted(whole)).toEqual(live);
  });

  it('applied again (a lost checkpoint), the events change no count', async () => {
    const db = await fresh();
    await project(db);
    const before = await summary(db);
    await sql`UPDATE projection_checkpoints SET last_seq = 0`.execute(db);
    await project(db, { batch: 4 });
    expect(await summary(db)).toEqual(before);
  });

  it('ops replay rebuilds the summary tables identical to the live ones, and the dashboard answers the same', async () => {
    const db = await fresh();
    await project(db, { batch: 5 });
    const before = await summary(db);
    const stats = await dashboardStats(db as never, s.agent, s.at(300));
    const r = await replay({ db, js: js.store.js, jsm: js.store.jsm, projections: PROJECTIONS, log });
    expect(r.events).toBeGreaterThan(s.events.length);
    expect(await summary(db)).toEqual(before);
    expect(await dashboardStats(db as never, s.agent, s.at(300))).toEqual(stats);
  });
});
