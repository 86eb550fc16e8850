import { DeliverPolicy } from '@nats-io/jetstream';
import { DEFAULT_AGENT_SETTINGS, type StreamName } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';
import type { EventStore } from '@realtoros/messaging';
import { createLogger } from '@realtoros/observability';
import { createTestDatabase, startJetStream, type TestDatabase, type TestJetStream } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBatch, type RawMessage } from '../batch.ts';
import { replay } from '../ops/replay.ts';
import { PROJECTED_STREAMS } from '../projection.ts';
import { PROJECTIONS } from './index.ts';
import { type PlanScenario, planScenario } from './plans.fixture.ts';

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

/** The issue-8 read models, in a stable order, minus nothing: they hold no wall-clock bookkeeping. */
async function snapshot(db: Db) {
  return {
    plans: await db.selectFrom('plans').selectAll().orderBy('id').execute(),
    plan_versions: await db.selectFrom('plan_versions').selectAll().orderBy('plan_id').orderBy('version').execute(),
    enrollments: await db.selectFrom('enrollments').selectAll().orderBy('client_id').execute(),
    agent_settings: await db.selectFrom('agent_settings').selectAll().orderBy('agent_id').execute(),
    tasks: await db.selectFrom('tasks').selectAll().orderBy('id').execute(),
    clients: await db.selectFrom('clients').selectAll().orderBy('id').execute(),
  };
}

describe('plans, enrollments, agent_settings, tasks and clients (issue 8) on real JetStream and Postgres', () => {
  let js: TestJetStream;
  let s: PlanScenario;
  const messages = new Map<StreamName, RawMessage[]>();
  let fast: TestDatabase;

  const project = async (db: Db, opts: { isolate?: boolean; batch?: number; only?: (m: RawMessage) => boolean } = {}) => {
    for (const stream of PROJECTED_STREAMS) {
      const all = (messages.get(stream) ?? []).filter(opts.only ?? (() => true));
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

  beforeAll(async () => {
    js = await startJetStream(PROJECTED_STREAMS);
    s = planScenario('projector');
    for (const e of s.events) await js.store.append(e);
    for (const stream of PROJECTED_STREAMS) messages.set(stream, await readAll(js.store, stream));
    fast = await createTestDatabase();
    await project(fast.db);
  });
  afterAll(async () => {
    await fast?.dispose();
    await js?.dispose();
  });

  it('plans: the current version whole, deleted ones flagged; plan_versions: every version', async () => {
    const plans = await fast.db.selectFrom('plans').selectAll().where('agent_id', '=', s.agent).orderBy('name').execute();
    expect(plans.map((p) => [p.name, p.version, p.is_default, p.is_deleted, p.stage_trigger])).toEqual([
      ['Closing checklist', 1, false, true, 'under_contract'],
      ['Standard follow-up', 2, true, false, null],
    ]);
    const p = plans[1];
    expect(p?.steps).toEqual(s.steps.v2);
    expect(p?.stop_stages).toEqual(['lost', 'closed']);
    expect(p?.on_reply).toBe('pause');
    expect(plans[0]?.on_reply).toBe('end');
    expect(p?.created_at.toISOString()).toBe(s.at(9).toISOString());
    const last = (messages.get('SCHEDULER') ?? []).filter((m) => m.subject === `sched.${s.agent}.plan.${s.plans.P}`).at(-1);
    expect(p?.aggregate_seq).toBe(last?.seq);
    const versions = await fast.db.selectFrom('plan_versions').selectAll().where('plan_id', '=', s.plans.P).orderBy('version').execute();
    expect(versions.map((v) => [v.version, v.steps, v.on_reply])).toEqual([
      [1, s.steps.v1, 'end'],
      [2, s.steps.v2, 'pause'],
    ]);
  });

  it('enrollments: one row per client, the newest enrolment; pause/resume/migrate/end update it', async () => {
    const rows = await fast.db.selectFrom('enrollments').selectAll().where('agent_id', '=', s.agent).execute();
    const byClient = new Map(rows.map((r) => [r.client_id, r]));
    expect(rows).toHaveLength(3);
    expect(byClient.get(s.clients.c1)).toMatchObject({
      enrollment_id: s.enrollments.e1,
      plan_id: s.plans.P,
      plan_version: 2, // migrated
      status: 'paused', // paused again after the resume
      ended_reason: null,
      paused_ms: 3_600_000,
    });
    expect(byClient.get(s.clients.c1)?.paused_until?.toISOString()).toBe('2026-12-01T15:00:00.000Z');
    expect(byClient.get(s.clients.c1)?.paused_at).toBeInstanceOf(Date);
    // Q's enrolment ended (plan deleted) and was replaced by P's.
    expect(byClient.get(s.clients.c2)).toMatchObject({
      enrollment_id: s.enrollments.e3,
      plan_id: s.plans.P,
      plan_version: 2,
      status: 'active',
      ended_reason: null,
      paused_at: null,
      paused_until: null,
      paused_ms: 0,
    });
    expect(byClient.get(s.clients.c3)).toMatchObject({ enrollment_id: s.enrollments.e4, status: 'ended', ended_reason: 'stage_lost' });
  });

  it('agent_settings: every change merged over the defaults, whole', async () => {
    const row = await fast.db.selectFrom('agent_settings').selectAll().where('agent_id', '=', s.agent).executeTakeFirstOrThrow();
    expect(row.settings).toEqual({
      ...DEFAULT_AGENT_SETTINGS,
      daily_cap: 30,
      time_zone: 'America/Chicago',
      window_end: '16:00',
      holidays: ['2026-12-25'],
    });
    expect(await fast.db.selectFrom('agent_settings').selectAll().where('agent_id', '=', s.other).execute()).toEqual([]);
  });

  it('tasks: plan, step and timing from TaskScheduled; pinned by the agent; held and released; plan edits move the version', async () => {
    const rows = await fast.db.selectFrom('tasks').selectAll().where('agent_id', '=', s.agent).execute();
    const t = (id: string) => rows.find((r) => r.id === id);
    expect(t(s.tasks.t1)).toMatchObject({
      enrollment_id: s.enrollments.e1,
      plan_id: s.plans.P,
      plan_version: 2,
      step_id: 'day-1',
      step_label: 'Welcome',
      action: 'email',
      pinned: true, // the agent moved it last
      held_reason: null, // the resume released it
      held_until: null,
      status: 'pending',
      version: 5,
    });
    expect(t(s.tasks.t1)?.scheduled_for.toISOString()).toBe('2026-11-25T17:00:00.000Z');
    expect(t(s.tasks.t1)?.planned_for?.toISOString()).toBe('2026-11-24T16:07:00.000Z');
    // Moved by the resume (not pinned), then cancelled by the edit.
    expect(t(s.tasks.t2)).toMatchObject({ status: 'cancelled', pinned: false, held_reason: null, plan_version: 1, step_label: 'Day 3' });
    expect(t(s.tasks.t2)?.planned_for?.toISOString()).toBe('2026-11-28T09:14:00.000Z');
    // Held by the cap (scheduled_for = until), then it fired: no longer held.
    expect(t(s.tasks.t3)).toMatchObject({ status: 'completed', held_reason: null, held_until: null, version: 2, email_sent_id: s.email });
    expect(t(s.tasks.t3)?.scheduled_for.toISOString()).toBe('2026-11-25T08:20:00.000Z');
    expect(t(s.tasks.t4)).toMatchObject({ action: 'task', step_label: 'Week 1', status: 'completed' });
    expect(t(s.tasks.t5)).toMatchObject({
      enrollment_id: null,
      plan_id: null,
      plan_version: null,
      step_id: null,
      step_label: null,
      action: null,
      planned_for: null,
      pinned: false,
      held_reason: null,
    });
  });

  it('a held task reads held while it waits: reason, until, the new time and version', async () => {
    const t = await createTestDatabase();
    try {
      // Everything up to (and including) the cap hold of t3.
      const holdId = s.events.find((e) => e.type === 'TaskHeld' && e.aggregate_id === s.tasks.t3)?.id;
      const holdSeq = (messages.get('SCHEDULER') ?? []).find((m) => JSON.parse(new TextDecoder().decode(m.data)).id === holdId)?.seq ?? 0;
      expect(holdSeq).toBeGreaterThan(0);
      await project(t.db, { only: (m) => !m.subject.startsWith('sched.') || m.seq <= holdSeq });
      const row = await t.db.selectFrom('tasks').selectAll().where('id', '=', s.tasks.t3).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'pending', held_reason: 'daily_cap', version: 2 });
      expect(row.held_until?.toISOString()).toBe('2026-11-25T08:20:00.000Z');
      expect(row.scheduled_for.toISOString()).toBe('2026-11-25T08:20:00.000Z');
      // A paused hold keeps the time it had.
      const t1 = await t.db.selectFrom('tasks').selectAll().where('id', '=', s.tasks.t1).executeTakeFirstOrThrow();
      expect(t1.held_reason).toBeNull(); // released by the resume long before
    } finally {
      await t.dispose();
    }
  });

  it('clients: time_zone from ClientCreated and later changes; a client without one reads null', async () => {
    const rows = await fast.db.selectFrom('clients').select(['id', 'time_zone']).where('agent_id', '=', s.agent).execute();
    expect(Object.fromEntries(rows.map((r) => [r.id, r.time_zone]))).toEqual({
      [s.clients.c1]: 'America/Chicago',
      [s.clients.c2]: 'Europe/Paris',
      [s.clients.c3]: 'America/Denver',
    });
  });

  it('the event-by-event path, small batches, and a lost checkpoint replayed all leave exactly the same rows', async () => {
    const truth = await snapshot(fast.db);
    const slow = await createTestDatabase();
    const small = await createTestDatabase();
    try {
      await project(slow.db, { isolate: true });
      expect(await snapshot(slow.db)).toEqual(truth);
      await project(small.db, { batch: 3 });
      expect(await snapshot(small.db)).toEqual(truth);
      // Lost checkpoint: every other event applied again over the newer rows, then what the checkpoint had not passed.
      await small.db.updateTable('projection_checkpoints').set({ last_seq: 0 }).execute();
      await project(small.db, { only: (m) => m.seq % 2 === 0 });
      await project(small.db, { batch: 7 });
      expect(await snapshot(small.db)).toEqual(truth);
      // And everything again, in order.
      await small.db.updateTable('projection_checkpoints').set({ last_seq: 0 }).execute();
      await project(small.db, { batch: 5 });
      expect(await snapshot(small.db)).toEqual(truth);
    } finally {
      await slow.dispose();
      await small.dispose();
    }
  });

  it('ops replay rebuilds the new tables identically (streams one after another, not side by side)', async () => {
    const t = await createTestDatabase();
    try {
      await project(t.db);
      const before = await snapshot(t.db);
      const r = await replay({ db: t.db, js: js.store.js, jsm: js.store.jsm, projections: PROJECTIONS, log });
      expect(r.events).toBe(s.events.length);
      expect(await snapshot(t.db)).toEqual(before);
      expect(before).toEqual(await snapshot(fast.db));
    } finally {
      await t.dispose();
    }
  });
});
