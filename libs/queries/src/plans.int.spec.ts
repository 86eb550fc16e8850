import { DEFAULT_AGENT_SETTINGS, type Envelope, EVENTS, type StreamName } from '@realtoros/contracts';
import { newEvent, subjectOf } from '@realtoros/messaging';
import { createLogger } from '@realtoros/observability';
import { emailTrail, planChangeEffects, summarizePreview, taskTrail } from '@realtoros/planning';
import { createTestDatabase, type TestDatabase } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The read models as the projector writes them: the queries are tested on what it really stores.
import { applyBatch, type RawMessage } from '../../../services/projector/src/batch.ts';
import { PROJECTED_STREAMS } from '../../../services/projector/src/projection.ts';
import { PROJECTIONS } from '../../../services/projector/src/read-models/index.ts';
import { type PlanScenario, planScenario } from '../../../services/projector/src/read-models/plans.fixture.ts';
import { getClient, listClients } from './clients.ts';
import { getEnrollment, getPlan, getPlanVersion, getSettings, listPlans, planPreviewInputs } from './plans.ts';
import { getTask, listTasks } from './tasks.ts';
import { emailTrailEvents, taskEvents } from './trails.ts';

const log = createLogger('test', 'silent');

/** Projects events as the projector would (one batch per stream, positions in order). */
async function project(pg: TestDatabase, events: readonly Envelope[]) {
  const seqs = new Map<StreamName, number>();
  const batches = new Map<StreamName, RawMessage[]>();
  for (const e of events) {
    const stream = EVENTS[e.type].stream;
    const seq = (seqs.get(stream) ?? 0) + 1;
    seqs.set(stream, seq);
    batches.set(stream, [
      ...(batches.get(stream) ?? []),
      { seq, subject: subjectOf(e), data: new TextEncoder().encode(JSON.stringify(e)) },
    ]);
  }
  for (const stream of PROJECTED_STREAMS)
    await applyBatch({ db: pg.db, schema: 'public', stream, messages: batches.get(stream) ?? [], projections: PROJECTIONS, log });
}

describe('plans, settings, enrolments, previews and trails (read models on real Postgres)', () => {
  let pg: TestDatabase;
  let s: PlanScenario;
  const extra = { alpha: '0190a000-0000-7000-8000-0000000a1fa0', zeta: '0190a000-0000-7000-8000-0000000a1fa1' };
  beforeAll(async () => {
    pg = await createTestDatabase();
    s = planScenario('queries');
    const plan = (id: string, name: string) =>
      newEvent('PlanCreated', {
        agentId: s.agent,
        aggregateId: id,
        correlationId: 't',
        causationId: null,
        data: { name, version: 1, steps: s.steps.v1, stop_stages: [], stage_trigger: null, is_default: false },
      });
    await project(pg, [...s.events, plan(extra.zeta, 'Zeta'), plan(extra.alpha, 'Alpha')]);
  });
  afterAll(async () => pg?.dispose());

  it('listPlans: live plans only, the default first then by name, with how many clients are on each now', async () => {
    const plans = await listPlans(pg.db, s.agent);
    expect(plans.map((p) => [p.name, p.is_default, p.enrolled_count])).toEqual([
      ['Standard follow-up', true, 2], // c1 paused + c2 active; c3's ended
      ['Alpha', false, 0],
      ['Zeta', false, 0],
    ]);
    expect(plans[0]).toEqual({
      id: s.plans.P,
      agent_id: s.agent,
      name: 'Standard follow-up',
      version: 2,
      steps: s.steps.v2,
      stop_stages: ['lost', 'closed'],
      stage_trigger: null,
      on_reply: 'pause',
      is_default: true,
      enrolled_count: 2,
      created_at: expect.stringMatching(/^2026-11-23T14:\d\d:00\.000Z$/),
      updated_at: expect.stringMatching(/^2026-11-23T14:\d\d:00\.000Z$/),
    });
    expect((await listPlans(pg.db, s.other)).map((p) => p.name)).toEqual(['Theirs']);
  });

  it('getPlan: the current version with its ETag source; deleted, unknown and another agent’s → null; getPlanVersion: any version', async () => {
    const p = await getPlan(pg.db, s.agent, s.plans.P);
    expect(p).toMatchObject({ id: s.plans.P, version: 2, enrolled_count: 2, steps: s.steps.v2 });
    expect(p?.aggregate_seq).toEqual(expect.any(Number));
    expect(await getPlan(pg.db, s.agent, s.plans.Q)).toBeNull(); // deleted
    expect(await getPlan(pg.db, s.agent, s.plans.other)).toBeNull(); // another agent's
    expect(await getPlan(pg.db, s.other, s.plans.P)).toBeNull();
    expect(await getPlan(pg.db, s.agent, '0190a000-0000-7000-8000-000000000bad')).toBeNull();
    expect(await getPlanVersion(pg.db, s.agent, s.plans.P, 1)).toEqual({
      plan_id: s.plans.P,
      name: 'Standard follow-up',
      version: 1,
      steps: s.steps.v1,
    });
    expect(await getPlanVersion(pg.db, s.other, s.plans.P, 1)).toBeNull();
  });

  it('getSettings: the changes merged over the defaults; an agent who never changed any reads the defaults', async () => {
    expect(await getSettings(pg.db, s.agent)).toEqual({
      ...DEFAULT_AGENT_SETTINGS,
      daily_cap: 30,
      time_zone: 'America/Chicago',
      window_end: '16:00',
      holidays: ['2026-12-25'],
    });
    expect(await getSettings(pg.db, s.other)).toEqual(DEFAULT_AGENT_SETTINGS);
  });

  it('getEnrollment / getClient / listClients: the current or last enrolment and the client’s zone', async () => {
    expect(await getEnrollment(pg.db, s.agent, s.clients.c1)).toEqual({
      enrollment_id: s.enrollments.e1,
      plan_id: s.plans.P,
      plan_name: 'Standard follow-up',
      plan_version: 2,
      status: 'paused',
      ended_reason: null,
      enrolled_at: s.at(0).toISOString(),
      paused_until: '2026-12-01T15:00:00.000Z',
    });
    expect(await getEnrollment(pg.db, s.agent, s.clients.c3)).toMatchObject({
      status: 'ended',
      ended_reason: 'stage_lost',
      paused_until: null,
    });
    expect(await getEnrollment(pg.db, s.other, s.clients.c1)).toBeNull();

    const c2 = await getClient(pg.db, s.agent, s.clients.c2);
    expect(c2).toMatchObject({ time_zone: 'Europe/Paris', enrollment: { enrollment_id: s.enrollments.e3, status: 'active' } });
    expect(c2?.aggregate_seq).toEqual(expect.any(Number));
    const page = await listClients(pg.db, s.agent, { page: 1, limit: 20, sort: 'name' });
    expect(page.items.map((c) => [c.name, c.time_zone, c.enrollment?.status ?? null])).toEqual([
      ['Ann', 'America/Chicago', 'paused'],
      ['Bo', 'Europe/Paris', 'active'],
      ['Cy', 'America/Denver', 'ended'],
    ]);
    const theirs = await listClients(pg.db, s.other, { page: 1, limit: 20 });
    expect(theirs.items.map((c) => [c.name, c.time_zone, c.enrollment])).toEqual([['Other', null, null]]);
  });

  it('tasks carry their enrolment, plan version, step, action and hold', async () => {
    expect(await getTask(pg.db, s.agent, s.tasks.t1)).toMatchObject({
      enrollment_id: s.enrollments.e1,
      plan_id: s.plans.P,
      plan_version: 2,
      step_label: 'Welcome',
      action: 'email',
      held_reason: null,
      scheduled_for: '2026-11-25T17:00:00.000Z',
    });
    const list = await listTasks(pg.db, s.agent, { page: 1, limit: 20, client_id: s.clients.c1 });
    expect(list.items.map((t) => [t.id, t.step_label, t.status])).toEqual([
      [s.tasks.t1, 'Welcome', 'pending'],
      [s.tasks.t5, null, 'pending'],
      [s.tasks.t2, 'Day 3', 'cancelled'],
    ]);
    expect(list.items.find((t) => t.id === s.tasks.t5)).toMatchObject({ enrollment_id: null, plan_id: null, action: null });
  });

  it('planPreviewInputs: the live enrolments on the plan with their own version, anchor, zone and tasks by step — what planChangeEffects takes', async () => {
    const inputs = await planPreviewInputs(pg.db, s.agent, s.plans.P);
    expect(inputs.map((e) => e.enrollment_id).sort()).toEqual([s.enrollments.e1, s.enrollments.e3].sort());
    const e1 = inputs.find((e) => e.enrollment_id === s.enrollments.e1);
    expect(e1).toEqual({
      client_id: s.clients.c1,
      enrollment_id: s.enrollments.e1,
      status: 'paused',
      from: { plan_id: s.plans.P, name: 'Standard follow-up', version: 2, steps: s.steps.v2 },
      enrolled_at: s.at(0).toISOString(),
      paused_ms: 3_600_000,
      anchor: new Date(s.at(0).getTime() + 3_600_000).toISOString(),
      paused_at: expect.stringMatching(/^2026-11-23T/),
      paused_until: '2026-12-01T15:00:00.000Z',
      time_zone: 'America/Chicago',
      tasks: {
        'day-1': { task_id: s.tasks.t1, status: 'pending', scheduled_for: '2026-11-25T17:00:00.000Z', pinned: true, held_reason: null },
        'day-3': { task_id: s.tasks.t2, status: 'cancelled', scheduled_for: '2026-11-30T16:07:00.000Z', pinned: false, held_reason: null },
      },
    });
    expect(inputs.find((e) => e.enrollment_id === s.enrollments.e3)).toMatchObject({
      status: 'active',
      time_zone: 'Europe/Paris',
      tasks: { 'day-1': { task_id: s.tasks.t3, status: 'completed' }, 'week-1': { task_id: s.tasks.t4, status: 'completed' } },
    });
    expect(await planPreviewInputs(pg.db, s.other, s.plans.P)).toEqual([]);

    // Fed to libs/planning as the gateway does: a v3 that adds a step far ahead adds it to both.
    const settings = await getSettings(pg.db, s.agent);
    const to = {
      ...(e1?.from ?? { plan_id: '', name: '', steps: [] }),
      version: 3,
      steps: [...s.steps.v2, { ...s.steps.v1[1]!, id: 'month-9', label: 'Later', offset_days: 300 }],
    };
    const effects = inputs.map((e) =>
      planChangeEffects({
        from: e.from,
        to,
        tasks: e.tasks,
        anchor: e.anchor,
        settings,
        clientZone: e.time_zone,
        clientId: e.client_id,
        enrollmentId: e.enrollment_id,
        now: '2026-11-26T00:00:00.000Z',
      }),
    );
    expect(effects.map((list) => list.map((x) => [x.kind, x.step_id]))).toEqual([[['add', 'month-9']], [['add', 'month-9']]]);
    expect(summarizePreview(effects, inputs.length).summary).toBe(
      'This change affects 2 enrolled clients: 0 steps move, 2 are added, 0 are removed.',
    );
  });

  it('taskEvents / emailTrailEvents: the events the trails are read from, in order, for this agent only', async () => {
    const own = (id: string) => s.events.filter((e) => e.aggregate_id === id);
    const events = await taskEvents(pg.db, s.agent, s.tasks.t3);
    expect(events.map((e) => [e.type, e.data, e.occurred_at])).toEqual(own(s.tasks.t3).map((e) => [e.type, e.data, e.occurred_at]));
    const trail = taskTrail(events, { zone: 'America/Chicago' });
    expect(trail).toEqual(taskTrail(own(s.tasks.t3)));
    expect(trail.map((i) => i.text)).toEqual([
      "Planned from 'Standard follow-up' v2, step 1 (Welcome) on Nov 23.",
      'Held on Mon by the daily cap (30 automated emails a day); it goes Wed 09:20.',
      'Due Wed 09:20: the email is being written.',
      'Completed: the email was sent.',
    ]);
    const t2 = taskTrail(await taskEvents(pg.db, s.agent, s.tasks.t2));
    expect(t2.map((i) => i.text).at(-1)).toBe('Cancelled because its step was removed from the plan.');

    const mail = await emailTrailEvents(pg.db, s.agent, s.email);
    expect(mail.task.map((e) => e.type)).toEqual(own(s.tasks.t3).map((e) => e.type));
    expect(mail.email.map((e) => e.type)).toEqual(['EmailGenerated', 'EmailSent']);
    expect(emailTrail(mail.task, mail.email)).toEqual(emailTrail(own(s.tasks.t3), own(s.email)));

    expect(await taskEvents(pg.db, s.other, s.tasks.t3)).toEqual([]);
    expect(await emailTrailEvents(pg.db, s.other, s.email)).toEqual({ task: [], email: [] });
  });
});
