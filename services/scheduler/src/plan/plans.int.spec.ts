import { randomUUID } from 'node:crypto';
import { DEFAULT_AGENT_SETTINGS, type Envelope, type PlanStepInput } from '@realtoros/contracts';
import { deterministicId, newEvent } from '@realtoros/messaging';
import {
  defaultPlanId,
  normalizePlanSteps,
  type PlanEffect,
  type PlanStep,
  type PlanTaskSnapshot,
  planChangeEffects,
  planTaskId,
  summarizePreview,
} from '@realtoros/planning';
import { type ServiceProcess, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLLMENT_WORKFLOW_DURABLE } from '../enrollment/workflow.ts';
import { PLANNER_DURABLE } from '../planning/client-events.listener.ts';
import { DEFAULT_PLANS_DURABLE } from '../planning/outcome-events.listener.ts';
import { createTaskStore } from '../task/task-store.ts';
import {
  clientCreated,
  commandsReady,
  createdEnrollment,
  DEFAULT_STEP_IDS,
  drained,
  newAgent,
  type SchedulerHarness,
  schedulerHarness,
} from '../test-support.ts';
import { PLAN_CHANGES_DURABLE } from './plan-changes.workflow.ts';

type PlanView = {
  id: string;
  agent_id: string;
  name: string;
  version: number;
  steps: PlanStep[];
  stop_stages: string[];
  stage_trigger: string | null;
  is_default: boolean;
  created_at: string;
  updated_at: string;
};

const agentRegistered = (agentId: string) =>
  newEvent('AgentRegistered', {
    agentId,
    aggregateId: agentId,
    correlationId: `signup-${agentId}`,
    causationId: null,
    data: { email: `agent.${agentId.slice(0, 8)}@example.com`, name: 'Pat Agent', password_hash: 'scrypt$1$1$1$x$y' },
  });

describe('plans: commands, rules, default plans, edits applied to current enrolments (real scheduler process, real JetStream)', () => {
  let h: SchedulerHarness;
  let svc: ServiceProcess;
  const registeredBefore = newAgent();
  beforeAll(async () => {
    h = await schedulerHarness({
      FOLLOWUP_SCHEDULE: JSON.stringify([
        { followup_type: 'Day 1', offset_seconds: 3600, priority: 'high' },
        { followup_type: 'Day 3', offset_seconds: 3 * 3600, priority: 'medium' },
        { followup_type: 'Week 1', offset_seconds: 7 * 3600, priority: 'medium' },
        { followup_type: 'Week 2', offset_seconds: 14 * 3600, priority: 'low' },
        { followup_type: 'Month 1', offset_seconds: 30 * 3600, priority: 'low' },
      ]),
    });
    // An agent who signed up before the scheduler knew plans: the new durable replays it.
    await h.store.append(agentRegistered(registeredBefore));
    svc = h.start();
    await commandsReady(h);
  });
  afterAll(async () => {
    if (svc && /"level":(50|60)/.test(svc.output())) console.error(svc.output().slice(-5000));
    await h?.dispose();
  });

  const settled = async () => {
    await drained(h, 'CRM', PLANNER_DURABLE);
    await drained(h, 'SCHEDULER', PLAN_CHANGES_DURABLE);
    await drained(h, 'SCHEDULER', ENROLLMENT_WORKFLOW_DURABLE);
  };
  const ok = <T>(r: Awaited<ReturnType<SchedulerHarness['command']>>): T => {
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.data as T;
  };
  const plansOf = async (agent: string) => (await h.events()).filter((e) => e.agent_id === agent && e.type === 'PlanCreated');

  it('AgentRegistered creates the default plan ("Standard follow-up" from FOLLOWUP_SCHEDULE) — for agents registered before, too — once', async () => {
    const fresh = newAgent();
    await h.store.append(agentRegistered(fresh));
    await waitFor(async () => (await plansOf(fresh)).length === 1, { what: 'default plan of a new agent' });
    await waitFor(async () => (await plansOf(registeredBefore)).length === 1, { what: 'default plan of an agent registered before' });
    const [plan] = await plansOf(fresh);
    expect(plan).toMatchObject({
      id: deterministicId('PlanCreated', defaultPlanId(fresh)),
      aggregate_id: defaultPlanId(fresh),
      data: { name: 'Standard follow-up', is_default: true, version: 1, stop_stages: ['lost', 'closed'], stage_trigger: null },
    });
    expect(plan?.type === 'PlanCreated' && plan.data.steps.map((s) => [s.id, s.label, s.offset_seconds, s.action])).toEqual([
      ['day-1', 'Day 1', 3600, 'email'],
      ['day-3', 'Day 3', 3 * 3600, 'email'],
      ['week-1', 'Week 1', 7 * 3600, 'email'],
      ['week-2', 'Week 2', 14 * 3600, 'email'],
      ['month-1', 'Month 1', 30 * 3600, 'email'],
    ]);
    // Its first client joins it; a replay of the registration creates nothing more.
    const created = clientCreated(fresh);
    await h.store.append(created);
    await waitFor(
      async () => (await h.events()).filter((e) => e.type === 'TaskScheduled' && e.data.client_id === created.aggregate_id).length === 5,
      {
        what: 'planned',
      },
    );
    await svc.stop('SIGKILL');
    await h.store.jsm.consumers.delete('CRM', DEFAULT_PLANS_DURABLE);
    svc = h.start();
    await commandsReady(h);
    await drained(h, 'CRM', DEFAULT_PLANS_DURABLE);
    expect(await plansOf(fresh)).toHaveLength(1);
  });

  it('create, change, delete: replies are the plan; a new version is whole; a deleted plan is not found; another agent’s plan is not found', async () => {
    const agent = newAgent();
    const created = await h.command(agent, 'create_plan', {
      name: 'New lead',
      steps: [
        { label: 'Day 1', offset_days: 1, instructions: 'warm and short' },
        { id: 'call', label: 'Call', offset_days: 2, action: 'task', time_of_day: '10:00' },
      ],
    });
    expect(created).toMatchObject({ ok: true, position: { stream: 'SCHEDULER' } });
    const plan = ok<PlanView>(created);
    expect(Object.keys(plan).sort()).toEqual(
      [
        'agent_id',
        'created_at',
        'id',
        'is_default',
        'name',
        'on_reply',
        'stage_trigger',
        'steps',
        'stop_stages',
        'updated_at',
        'version',
      ].sort(),
    );
    expect(plan).toMatchObject({
      agent_id: agent,
      name: 'New lead',
      version: 1,
      is_default: false,
      stop_stages: ['lost', 'closed'],
      stage_trigger: null,
    });
    expect(plan.steps[0]).toMatchObject({
      id: expect.stringMatching(/^s-[0-9a-f]{8}$/),
      priority: 'medium',
      action: 'email',
      instructions: 'warm and short',
    });

    const other = newAgent();
    for (const [name, payload] of [
      ['change_plan', { plan_id: plan.id, changes: { name: 'Mine now' } }],
      ['delete_plan', { plan_id: plan.id }],
    ] as const)
      expect(await h.command(other, name, payload)).toMatchObject({ ok: false, error: { code: 'not_found' } });

    const changed = ok<PlanView>(
      await h.command(agent, 'change_plan', {
        plan_id: plan.id,
        changes: { name: 'Warm leads', steps: [{ id: 'call', label: 'Call', offset_days: 3 }] },
      }),
    );
    // The step left out of the edit keeps its values (action task, 10:00); the other step is gone.
    expect(changed).toMatchObject({
      name: 'Warm leads',
      version: 2,
      steps: [{ id: 'call', offset_days: 3, action: 'task', time_of_day: '10:00' }],
    });
    const changedEvt = (await h.events()).filter((e) => e.type === 'PlanChanged' && e.aggregate_id === plan.id);
    expect(changedEvt).toMatchObject([{ data: { version: 2, apply_to: 'new', name: 'Warm leads' } }]);

    expect(ok<PlanView>(await h.command(agent, 'delete_plan', { plan_id: plan.id }))).toMatchObject({ id: plan.id, version: 2 });
    expect(await h.command(agent, 'change_plan', { plan_id: plan.id, changes: { name: 'x' } })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await h.command(agent, 'delete_plan', { plan_id: plan.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await h.command(agent, 'delete_plan', { plan_id: randomUUID() })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('bad input → validation with pointers into the body (no steps, a negative offset, a step id twice); a shared stage trigger → conflict naming the other plan', async () => {
    const agent = newAgent();
    const pointers = async (payload: Record<string, unknown>) => {
      const r = await h.command(agent, 'create_plan', payload);
      expect(r).toMatchObject({ ok: false, error: { code: 'validation' } });
      return r.ok ? [] : (r.error.errors ?? []).map((e) => e.pointer);
    };
    expect(await pointers({ name: 'Empty', steps: [] })).toContain('/steps');
    expect(await pointers({ name: 'Back in time', steps: [{ label: 'A', offset_days: -1 }] })).toContain('/steps/0/offset_days');
    expect(
      await pointers({
        name: 'Twice',
        steps: [
          { id: 'intro', label: 'A', offset_days: 1 },
          { id: 'intro', label: 'B', offset_days: 2 },
        ],
      }),
    ).toEqual(['/steps/1/id']);
    expect(await pointers({ name: 'Self-stopping', stage_trigger: 'lost', steps: [{ label: 'A', offset_days: 1 }] })).toEqual([
      '/stage_trigger',
    ]);

    const closing = ok<PlanView>(
      await h.command(agent, 'create_plan', {
        name: 'Closing checklist',
        stage_trigger: 'under_contract',
        steps: [{ label: 'A', offset_days: 1 }],
      }),
    );
    const clash = await h.command(agent, 'create_plan', {
      name: 'Another',
      stage_trigger: 'under_contract',
      steps: [{ label: 'A', offset_days: 1 }],
    });
    expect(clash).toMatchObject({ ok: false, error: { code: 'conflict', detail: expect.stringContaining('Closing checklist') } });
    const second = ok<PlanView>(await h.command(agent, 'create_plan', { name: 'Another', steps: [{ label: 'A', offset_days: 1 }] }));
    expect(await h.command(agent, 'change_plan', { plan_id: second.id, changes: { stage_trigger: 'under_contract' } })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
    // Another agent may use the same trigger; once the first plan is deleted, so may this agent.
    expect(
      (await h.command(newAgent(), 'create_plan', { name: 'X', stage_trigger: 'under_contract', steps: [{ label: 'A', offset_days: 1 }] }))
        .ok,
    ).toBe(true);
    expect((await h.command(agent, 'delete_plan', { plan_id: closing.id })).ok).toBe(true);
    expect(await h.command(agent, 'change_plan', { plan_id: second.id, changes: { stage_trigger: 'under_contract' } })).toMatchObject({
      ok: true,
      data: { stage_trigger: 'under_contract', version: 2 },
    });
  });

  it('a plan edit applied to current enrolments moves, adds and removes exactly what planChangeEffects (the preview) said', async () => {
    const agent = newAgent();
    const plan = ok<PlanView>(
      await h.command(agent, 'create_plan', {
        name: 'New lead',
        steps: [
          { id: 'a', label: 'Day 1', offset_days: 1 },
          { id: 'b', label: 'Day 3', offset_days: 3 },
          { id: 'c', label: 'Week 1', offset_days: 7, instructions: 'ask about financing' },
        ],
      }),
    );
    const clients = [
      clientCreated(agent, randomUUID(), new Date(), { plan_id: plan.id }),
      clientCreated(agent, randomUUID(), new Date(), { plan_id: plan.id, time_zone: 'Asia/Tokyo' }),
      clientCreated(agent, randomUUID(), new Date(), { plan_id: plan.id, time_zone: 'America/Los_Angeles' }),
    ];
    for (const c of clients) await h.store.append(c);
    const enrolments = clients.map((c) => ({ client: c, ...createdEnrollment(c, ['a', 'b', 'c']) }));
    await waitFor(
      async () =>
        (await h.events()).filter(
          (e) => e.type === 'TaskScheduled' && enrolments.some((x) => x.enrollmentId === e.data.plan?.enrollment_id),
        ).length === 9,
      { what: 'nine planned steps' },
    );
    // The agent moved one client's first step by hand: an edit leaves it where they put it.
    const pinned = enrolments[0]?.taskIds[0] as string;
    const pinnedAt = new Date(Date.now() + 5 * 86_400_000).toISOString();
    expect((await h.command(agent, 'update_task', { task_id: pinned, scheduled_for: pinnedAt })).ok).toBe(true);
    await settled();

    const changes = {
      steps: [
        // A week later: a different slot whatever today is (a day later might land on the same Monday).
        { id: 'a', label: 'Day 1', offset_days: 8 },
        { id: 'c', label: 'Week 1', offset_days: 7, instructions: 'ask about pre-approval' },
        { id: 'd', label: 'Two weeks', offset_days: 14 },
      ] satisfies PlanStepInput[],
      apply_to: 'current' as const,
    };
    // The preview, from the same inputs the scheduler will use.
    const tasks = createTaskStore(h.store);
    const from = { plan_id: plan.id, name: plan.name, version: 1, steps: plan.steps };
    const to = { plan_id: plan.id, name: plan.name, version: 2, steps: normalizePlanSteps(plan.id, 2, changes.steps, plan.steps).steps };
    const now = new Date().toISOString();
    const effects: PlanEffect[][] = [];
    for (const e of enrolments) {
      const snapshots = new Map<string, PlanTaskSnapshot>();
      for (const step of ['a', 'b', 'c', 'd']) {
        const { state } = await tasks.load({ agentId: agent, aggregateId: planTaskId(e.enrollmentId, step) });
        if (state.status !== 'absent')
          snapshots.set(step, {
            task_id: state.id,
            status: state.status,
            scheduled_for: state.scheduled_for,
            pinned: state.pinned,
            held_reason: state.held_reason,
          });
      }
      effects.push(
        planChangeEffects({
          from,
          to,
          tasks: snapshots,
          anchor: e.client.occurred_at,
          settings: DEFAULT_AGENT_SETTINGS,
          clientZone: e.client.data.time_zone ?? null,
          clientId: e.client.aggregate_id,
          enrollmentId: e.enrollmentId,
          now,
        }),
      );
    }
    const preview = summarizePreview(effects, enrolments.length);
    // What the rules say here: a moves (but not the pinned one), c gets new instructions, b is removed, d is added.
    expect(preview).toMatchObject({ enrolled: 3, affected: 3, moved: 2, added: 3, removed: 3 });
    const updates = effects.flat().filter((e) => e.kind === 'update').length;
    expect(updates).toBe(3);

    const applied = await h.command(agent, 'change_plan', { plan_id: plan.id, changes });
    expect(applied).toMatchObject({ ok: true, data: { version: 2 } });
    expect(ok<PlanView>(applied).steps).toEqual(to.steps);
    const mine = (e: Envelope) => enrolments.some((x) => x.client.aggregate_id === (e.data as { client_id?: string }).client_id);
    await waitFor(async () => (await h.events()).filter((e) => e.type === 'EnrollmentMigrated' && mine(e)).length === 3, {
      what: 'three migrations',
    });
    await waitFor(
      async () => {
        const ev = (await h.events()).filter(mine);
        return (
          ev.filter((e) => e.type === 'TaskRescheduled' && e.data.by === 'plan_change').length >= preview.moved + updates &&
          ev.filter((e) => e.type === 'TaskScheduled' && e.data.plan?.plan_version === 2).length >= preview.added &&
          ev.filter((e) => e.type === 'TaskCancelled' && e.data.reason === 'step_removed').length >= preview.removed
        );
      },
      { what: 'the edit applied' },
    );
    await settled();
    const ev = (await h.events()).filter(mine);
    const rescheduled = ev.filter((e) => e.type === 'TaskRescheduled' && e.data.by === 'plan_change');
    const movedEvents = rescheduled.filter(
      (e) => e.type === 'TaskRescheduled' && Date.parse(e.data.scheduled_for) !== Date.parse(e.data.previous),
    );
    const added = ev.filter((e) => e.type === 'TaskScheduled' && e.data.plan?.plan_version === 2);
    const removed = ev.filter((e) => e.type === 'TaskCancelled' && e.data.reason === 'step_removed');
    expect({
      moved: movedEvents.length,
      updated: rescheduled.length - movedEvents.length,
      added: added.length,
      removed: removed.length,
    }).toEqual({
      moved: preview.moved,
      updated: updates,
      added: preview.added,
      removed: preview.removed,
    });
    // …to the very times and tasks the preview named.
    const expected = effects.flat();
    for (const e of movedEvents) {
      const effect = expected.find((x) => x.kind === 'move' && x.task_id === e.aggregate_id);
      expect(e.type === 'TaskRescheduled' && effect?.kind === 'move' && [e.data.scheduled_for, e.data.plan?.plan_version]).toEqual([
        effect?.kind === 'move' && effect.to,
        2,
      ]);
    }
    expect(new Set(added.map((e) => e.aggregate_id))).toEqual(new Set(expected.filter((x) => x.kind === 'add').map((x) => x.task_id)));
    expect(new Set(removed.map((e) => e.aggregate_id))).toEqual(new Set(expected.filter((x) => x.kind === 'remove').map((x) => x.task_id)));
    expect(ev.some((e) => e.type === 'TaskRescheduled' && e.aggregate_id === pinned && e.data.by === 'plan_change')).toBe(false);

    // An edit for new enrolments only leaves the current ones on theirs; a new client gets it.
    expect((await h.command(agent, 'change_plan', { plan_id: plan.id, changes: { name: 'Fresh leads' } })).ok).toBe(true);
    const late = clientCreated(agent, randomUUID(), new Date(), { plan_id: plan.id });
    await h.store.append(late);
    await waitFor(
      async () => (await h.events()).filter((e) => e.type === 'TaskScheduled' && e.data.client_id === late.aggregate_id).length === 3,
      {
        what: 'late client planned',
      },
    );
    await settled();
    expect((await h.events()).filter((e) => e.type === 'EnrollmentMigrated' && mine(e))).toHaveLength(3);
    expect((await h.events()).find((e) => e.type === 'ClientEnrolled' && e.aggregate_id === late.aggregate_id)).toMatchObject({
      data: { plan_version: 3, plan_name: 'Fresh leads' },
    });

    // Deleting the plan ends every enrolment in it and cancels their pending steps.
    expect((await h.command(agent, 'delete_plan', { plan_id: plan.id })).ok).toBe(true);
    const all = [...clients, late];
    await waitFor(
      async () =>
        (await h.events()).filter(
          (e) => e.type === 'EnrollmentEnded' && all.some((c) => c.aggregate_id === e.aggregate_id) && e.data.reason === 'plan_deleted',
        ).length === 4,
      { what: 'enrolments ended by the deletion' },
    );
    await settled();
    const pendingLeft = await Promise.all(
      all.flatMap((c) =>
        ['a', 'c', 'd'].map((s) => tasks.load({ agentId: agent, aggregateId: planTaskId(createdEnrollment(c).enrollmentId, s) })),
      ),
    );
    expect(pendingLeft.filter((t) => t.state.status === 'pending').map((t) => t.state.status !== 'absent' && t.state.id)).toEqual([]);
    expect(
      new Set(
        (await h.events())
          .filter((e) => e.type === 'TaskCancelled' && all.some((c) => c.aggregate_id === e.data.client_id))
          .map((e) => e.type === 'TaskCancelled' && e.data.reason),
      ),
    ).toEqual(new Set(['step_removed', 'plan_deleted']));
    expect(await h.command(agent, 'enroll_client', { client_id: late.aggregate_id, plan_id: plan.id })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });

  it('the default plan deleted: new clients join no plan, and it is not re-created', async () => {
    const agent = newAgent();
    await h.store.append(agentRegistered(agent));
    await waitFor(async () => (await plansOf(agent)).length === 1, { what: 'default plan' });
    expect((await h.command(agent, 'delete_plan', { plan_id: defaultPlanId(agent) })).ok).toBe(true);
    const created = clientCreated(agent);
    await h.store.append(created);
    await settled();
    expect((await h.events()).filter((e) => e.aggregate_id === created.aggregate_id && e.type === 'ClientEnrolled')).toEqual([]);
    expect(await plansOf(agent)).toHaveLength(1);
    expect(DEFAULT_STEP_IDS).toHaveLength(5);
  });
});
