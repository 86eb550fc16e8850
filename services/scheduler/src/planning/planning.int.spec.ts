import { randomUUID } from 'node:crypto';
import { headers } from '@nats-io/transport-node';
import { deterministicId, newEvent, subjectOf } from '@realtoros/messaging';
import { defaultPlanId } from '@realtoros/planning';
import { type ServiceProcess, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLLMENT_WORKFLOW_DURABLE } from '../enrollment/workflow.ts';
import {
  clientCreated,
  commandsReady,
  createdEnrollment,
  DEFAULT_STEP_IDS,
  drained,
  newAgent,
  type SchedulerHarness,
  schedulerHarness,
  sleep,
} from '../test-support.ts';
import { PLANNER_DURABLE } from './client-events.listener.ts';
import { plannedTaskId } from './schedule.ts';

// Hours away, so nothing here falls due while the test runs.
const SCHEDULE = JSON.stringify([
  { followup_type: 'Day 1', offset_seconds: 3600, priority: 'high' },
  { followup_type: 'Day 3', offset_seconds: 3 * 3600, priority: 'medium' },
  { followup_type: 'Week 1', offset_seconds: 7 * 3600, priority: 'medium' },
  { followup_type: 'Week 2', offset_seconds: 14 * 3600, priority: 'low' },
  { followup_type: 'Month 1', offset_seconds: 30 * 3600, priority: 'low' },
]);

/** A new client's task for a step of the default plan: planTaskId(its enrolment, the step). */
const taskOf = (created: ReturnType<typeof clientCreated>, step: (typeof DEFAULT_STEP_IDS)[number]) =>
  createdEnrollment(created).taskIds[DEFAULT_STEP_IDS.indexOf(step)] as string;

describe('planning follow-ups from client events (real scheduler process, real JetStream)', () => {
  let h: SchedulerHarness;
  let svc: ServiceProcess;
  beforeAll(async () => {
    h = await schedulerHarness({ FOLLOWUP_SCHEDULE: SCHEDULE });
    svc = h.start();
    await commandsReady(h);
  });
  afterAll(async () => h?.dispose());

  const scheduledFor = async (agentId: string, clientId: string) =>
    (await h.events()).filter((e) => e.type === 'TaskScheduled' && e.agent_id === agentId && e.data.client_id === clientId);

  it("a new client joins the agent's default plan (created once, from FOLLOWUP_SCHEDULE): five tasks with the right kinds, offsets, priorities, plan refs and derived ids", async () => {
    const agent = newAgent();
    const created = clientCreated(agent);
    await h.store.append(created);
    const planned = await waitFor(
      async () => {
        const t = await scheduledFor(agent, created.aggregate_id);
        return t.length >= 5 && t;
      },
      { what: 'five planned tasks' },
    );
    const events = await h.events();
    // The default plan: lazily created by the planner, once, with a derived id.
    const plans = events.filter((e) => e.type === 'PlanCreated' && e.agent_id === agent);
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({
      aggregate_id: defaultPlanId(agent),
      id: deterministicId('PlanCreated', defaultPlanId(agent)),
      data: { name: 'Standard follow-up', version: 1, is_default: true, stop_stages: ['lost', 'closed'], stage_trigger: null },
    });
    // The enrolment, anchored at the client's creation (not at processing time).
    const { enrollmentId } = createdEnrollment(created);
    expect(events.filter((e) => e.type === 'ClientEnrolled' && e.aggregate_id === created.aggregate_id)).toMatchObject([
      {
        data: {
          enrollment_id: enrollmentId,
          plan_id: defaultPlanId(agent),
          plan_version: 1,
          enrolled_at: created.occurred_at,
          source: 'created',
        },
      },
    ]);
    const base = Date.parse(created.occurred_at);
    expect(
      planned.map(
        (e) =>
          e.type === 'TaskScheduled' && [
            e.aggregate_id,
            e.data.followup_type,
            Date.parse(e.data.scheduled_for) - base,
            e.data.priority,
            e.data.version,
            e.data.plan?.step_id,
            e.data.timing?.placement,
          ],
      ),
    ).toEqual(
      [
        [taskOf(created, 'day-1'), 'Day 1', 3600_000, 'high', 1, 'day-1', 'exact'],
        [taskOf(created, 'day-3'), 'Day 3', 3 * 3600_000, 'medium', 1, 'day-3', 'exact'],
        [taskOf(created, 'week-1'), 'Week 1', 7 * 3600_000, 'medium', 1, 'week-1', 'exact'],
        [taskOf(created, 'week-2'), 'Week 2', 14 * 3600_000, 'low', 1, 'week-2', 'exact'],
        [taskOf(created, 'month-1'), 'Month 1', 30 * 3600_000, 'low', 1, 'month-1', 'exact'],
      ].sort((a, b) => (a[2] as number) - (b[2] as number)),
    );
    expect(
      planned.every((e) => e.type === 'TaskScheduled' && e.data.origin === 'plan' && e.data.plan?.enrollment_id === enrollmentId),
    ).toBe(true);
    // Each planned task got its timer parked in the timer stream.
    const timers = await waitFor(
      async () => {
        const n = (await h.store.jsm.streams.info('TIMERS')).state.messages;
        return n >= 5 && n;
      },
      { what: 'parked timers' },
    );
    expect(timers).toBeGreaterThanOrEqual(5);

    // A second client of the same agent joins the same default plan (not a second one).
    const second = clientCreated(agent);
    await h.store.append(second);
    await waitFor(async () => (await scheduledFor(agent, second.aggregate_id)).length >= 5, { what: 'second client planned' });
    expect((await h.events()).filter((e) => e.type === 'PlanCreated' && e.agent_id === agent)).toHaveLength(1);
  });

  it('a redelivered ClientCreated plans nothing more — past the dedup window, and after the consumer replays everything', async () => {
    const agent = newAgent();
    const created = clientCreated(agent);
    await h.store.append(created);
    await waitFor(async () => (await scheduledFor(agent, created.aggregate_id)).length >= 5, { what: 'planned' });
    // The same event again under a new message id: JetStream's deduplication can't help.
    const hdrs = headers();
    hdrs.set('Event-Type', 'ClientCreated');
    await h.store.js.publish(subjectOf(created), JSON.stringify(created), { msgID: randomUUID(), headers: hdrs });
    // And the planner's consumer is reset: every ClientCreated is delivered once more.
    await svc.stop('SIGKILL');
    const before = (await h.events()).length;
    // …and so is the enrolment workflow's: every ClientEnrolled is delivered once more too.
    await h.store.jsm.consumers.delete('CRM', PLANNER_DURABLE);
    await h.store.jsm.consumers.delete('SCHEDULER', ENROLLMENT_WORKFLOW_DURABLE);
    svc = h.start();
    for (const [stream, durable] of [
      ['CRM', PLANNER_DURABLE],
      ['SCHEDULER', ENROLLMENT_WORKFLOW_DURABLE],
    ] as const)
      await waitFor(
        async () => {
          const info = await h.store.jsm.consumers.info(stream, durable);
          return info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.stream_seq > 0;
        },
        { what: `${durable} replayed`, timeoutMs: 15_000 },
      );
    await sleep(300);
    expect((await scheduledFor(agent, created.aggregate_id)).length).toBe(5);
    expect((await h.events()).length).toBe(before);
  });

  it('ClientDeleted ends the enrolment (`deleted`: its pending steps cancelled) and cancels the manual task (`client_deleted`); ClientUnsubscribed too', async () => {
    const agent = newAgent();
    const created = clientCreated(agent);
    await h.store.append(created);
    await waitFor(async () => (await scheduledFor(agent, created.aggregate_id)).length >= 5, { what: 'planned' });
    const manual = await h.command(agent, 'create_task', {
      client_id: created.aggregate_id,
      scheduled_for: new Date(Date.now() + 7200_000).toISOString(),
      notes: 'call about the roof',
    });
    expect(manual).toMatchObject({ ok: true, data: { status: 'pending', followup_type: 'Custom', notes: 'call about the roof' } });
    const manualId = manual.ok ? (manual.data as { id: string }).id : '';
    // One planned task is already closed by the agent: it stays completed.
    const day1 = taskOf(created, 'day-1');
    expect((await h.command(agent, 'update_task', { task_id: day1, status: 'completed' })).ok).toBe(true);

    await h.store.append(
      newEvent('ClientDeleted', {
        agentId: agent,
        aggregateId: created.aggregate_id,
        correlationId: 'del',
        causationId: null,
        data: { email: created.data.email },
      }),
    );
    const cancelled = await waitFor(
      async () => {
        const c = (await h.events()).filter((e) => e.type === 'TaskCancelled' && e.agent_id === agent);
        return c.length >= 5 && c;
      },
      { what: 'cancellations' },
    );
    expect(new Map(cancelled.map((e) => [e.aggregate_id, e.type === 'TaskCancelled' && e.data.reason]))).toEqual(
      new Map([
        [manualId, 'client_deleted'],
        ...(['day-3', 'week-1', 'week-2', 'month-1'] as const).map((t) => [taskOf(created, t), 'deleted'] as const),
      ]),
    );
    expect(
      (await h.events())
        .filter((e) => e.type === 'EnrollmentEnded' && e.aggregate_id === created.aggregate_id)
        .map((e) => e.type === 'EnrollmentEnded' && e.data.reason),
    ).toEqual(['deleted']);
    // A deleted client takes no new tasks.
    const late = await h.command(agent, 'create_task', { client_id: created.aggregate_id, scheduled_for: new Date().toISOString() });
    expect(late).toMatchObject({ ok: false, error: { code: 'not_found' } });

    const other = clientCreated(agent);
    await h.store.append(other);
    await waitFor(async () => (await scheduledFor(agent, other.aggregate_id)).length >= 5, { what: 'planned' });
    await h.store.append(
      newEvent('ClientUnsubscribed', {
        agentId: agent,
        aggregateId: other.aggregate_id,
        correlationId: 'u',
        causationId: null,
        data: { source: 'link', at: new Date().toISOString() },
      }),
    );
    await waitFor(
      async () =>
        (await h.events()).filter(
          (e) => e.type === 'TaskCancelled' && e.data.client_id === other.aggregate_id && e.data.reason === 'unsubscribed',
        ).length === 5,
      {
        what: 'unsubscribe cancellations',
      },
    );
  });

  /** The planner and the enrolment workflow have handled (and acked) everything appended so far. */
  const plannerDrained = async () => {
    await drained(h, 'CRM', PLANNER_DURABLE);
    await drained(h, 'SCHEDULER', ENROLLMENT_WORKFLOW_DURABLE);
  };
  const stageChanged = (agent: string, clientId: string, from: string, to: string, changes?: Record<string, unknown>) =>
    newEvent('ClientStageChanged', {
      agentId: agent,
      aggregateId: clientId,
      correlationId: `stage-${to}`,
      causationId: null,
      data: { from, to, ...(changes ? { changes } : {}) } as { from: 'lead'; to: 'lost' },
    });
  const cancellationsOf = async (clientId: string) =>
    (await h.events()).filter((e) => e.type === 'TaskCancelled' && e.data.client_id === clientId);

  it('stop rule: lost ends the enrolment (stage_lost) and cancels its pending steps with that reason, keeps the manual task, survives redelivery, and moving back plans nothing', async () => {
    const agent = newAgent();
    const created = clientCreated(agent);
    await h.store.append(created);
    await waitFor(async () => (await scheduledFor(agent, created.aggregate_id)).length >= 5, { what: 'planned' });
    const manual = await h.command(agent, 'create_task', {
      client_id: created.aggregate_id,
      scheduled_for: new Date(Date.now() + 7200_000).toISOString(),
      notes: 'call anyway',
    });
    const manualId = manual.ok ? (manual.data as { id: string }).id : '';
    expect(manualId).not.toBe('');
    // One planned step the agent already closed stays closed.
    const day1 = taskOf(created, 'day-1');
    expect((await h.command(agent, 'update_task', { task_id: day1, status: 'skipped' })).ok).toBe(true);

    // The one-event PATCH form: the stage change carries the other fields the edit changed.
    const lost = stageChanged(agent, created.aggregate_id, 'lead', 'lost', { notes: 'went with another agent' });
    await h.store.append(lost);
    const cancelled = await waitFor(
      async () => {
        const c = await cancellationsOf(created.aggregate_id);
        return c.length >= 4 && c;
      },
      { what: 'stage_lost cancellations' },
    );
    expect(new Set(cancelled.map((e) => e.aggregate_id))).toEqual(
      new Set((['day-3', 'week-1', 'week-2', 'month-1'] as const).map((t) => taskOf(created, t))),
    );
    expect(cancelled.map((e) => e.type === 'TaskCancelled' && e.data.reason)).toEqual([
      'stage_lost',
      'stage_lost',
      'stage_lost',
      'stage_lost',
    ]);
    // The chain of causes says why: the stage change ended the enrolment, which cancelled each step.
    const endedEvents = (await h.events()).filter((e) => e.type === 'EnrollmentEnded' && e.aggregate_id === created.aggregate_id);
    expect(endedEvents).toMatchObject([
      { causation_id: lost.id, data: { reason: 'stage_lost', enrollment_id: createdEnrollment(created).enrollmentId } },
    ]);
    expect(cancelled.every((e) => e.causation_id === endedEvents[0]?.id)).toBe(true);

    // The same stage change again under a new message id (JetStream's dedup can't help): nothing more.
    await plannerDrained();
    const before = (await h.events()).length;
    const hdrs = headers();
    hdrs.set('Event-Type', 'ClientStageChanged');
    await h.store.js.publish(subjectOf(lost), JSON.stringify(lost), { msgID: randomUUID(), headers: hdrs });
    // Back to an active stage: nothing is planned again (no plan is attached to that stage).
    await h.store.append(stageChanged(agent, created.aggregate_id, 'lost', 'qualified'));
    await plannerDrained();
    await sleep(300);
    expect((await h.events()).length).toBe(before);
    expect(
      (await scheduledFor(agent, created.aggregate_id)).filter((e) => e.type === 'TaskScheduled' && e.data.origin === 'plan'),
    ).toHaveLength(5);

    // The agent's own task was never cancelled by the rule and is still theirs to work.
    const still = await h.command(agent, 'update_task', { task_id: manualId, notes: 'call anyway, maybe next year' });
    expect(still).toMatchObject({ ok: true, data: { id: manualId, status: 'pending' } });
  });

  it('stop rule: closed ends the enrolment with stage_closed; a client created lost or closed joins no plan', async () => {
    const agent = newAgent();
    const won = clientCreated(agent);
    await h.store.append(won);
    await waitFor(async () => (await scheduledFor(agent, won.aggregate_id)).length >= 5, { what: 'planned' });
    await h.store.append(stageChanged(agent, won.aggregate_id, 'lead', 'under_contract'));
    await h.store.append(stageChanged(agent, won.aggregate_id, 'under_contract', 'closed'));
    const cancelled = await waitFor(
      async () => {
        const c = await cancellationsOf(won.aggregate_id);
        return c.length >= 5 && c;
      },
      { what: 'stage_closed cancellations' },
    );
    expect(cancelled.map((e) => e.type === 'TaskCancelled' && e.data.reason)).toEqual(Array(5).fill('stage_closed'));

    const bornLost = clientCreated(agent);
    const bornClosed = clientCreated(agent);
    for (const [c, stage] of [
      [bornLost, 'lost'],
      [bornClosed, 'closed'],
    ] as const)
      await h.store.append({ ...c, data: { ...c.data, stage } });
    // A control client appended after them is planned, so the planner did see the two.
    const control = clientCreated(agent);
    await h.store.append(control);
    await waitFor(async () => (await scheduledFor(agent, control.aggregate_id)).length >= 5, { what: 'control planned' });
    await plannerDrained();
    expect(await scheduledFor(agent, bornLost.aggregate_id)).toEqual([]);
    expect(await scheduledFor(agent, bornClosed.aggregate_id)).toEqual([]);
    expect(
      (await h.events()).filter(
        (e) => e.type === 'ClientEnrolled' && [bornLost.aggregate_id, bornClosed.aggregate_id].includes(e.aggregate_id),
      ),
    ).toEqual([]);
    // The agent may still add a task of their own for such a client.
    expect(
      await h.command(agent, 'create_task', {
        client_id: bornLost.aggregate_id,
        scheduled_for: new Date(Date.now() + 3600_000).toISOString(),
      }),
    ).toMatchObject({ ok: true, data: { status: 'pending' } });
  });

  it('a client planned before plans existed (legacy task ids from (client, kind)) is not enrolled again, and lost still cancels its legacy steps', async () => {
    const agent = newAgent();
    const clientId = randomUUID();
    const kinds = ['Day 1', 'Day 3', 'Week 1', 'Week 2', 'Month 1'] as const;
    // What the planner wrote before plans: five TaskScheduled, ids from (client, kind), no plan ref.
    for (const [i, kind] of kinds.entries())
      await h.store.append(
        newEvent('TaskScheduled', {
          agentId: agent,
          aggregateId: plannedTaskId(clientId, kind),
          correlationId: 'legacy',
          causationId: null,
          data: {
            client_id: clientId,
            followup_type: kind,
            scheduled_for: new Date(Date.now() + (i + 1) * 3600_000).toISOString(),
            priority: 'medium',
            notes: null,
            version: 1,
            origin: 'plan',
          },
        }),
      );
    // Its ClientCreated (no plan_id: written before plans) replayed by the planner: no enrolment.
    const created = clientCreated(agent, clientId);
    await h.store.append(created);
    await plannerDrained();
    expect((await h.events()).filter((e) => e.type === 'ClientEnrolled' && e.aggregate_id === clientId)).toEqual([]);

    const lost = stageChanged(agent, clientId, 'lead', 'lost');
    await h.store.append(lost);
    const cancelled = await waitFor(
      async () => {
        const c = await cancellationsOf(clientId);
        return c.length >= 5 && c;
      },
      { what: 'legacy stage_lost cancellations' },
    );
    expect(new Set(cancelled.map((e) => e.aggregate_id))).toEqual(new Set(kinds.map((k) => plannedTaskId(clientId, k))));
    expect(cancelled.every((e) => e.type === 'TaskCancelled' && e.data.reason === 'stage_lost' && e.causation_id === lost.id)).toBe(true);
  });

  it('task commands: tenancy, legal transitions, 409 for illegal ones', async () => {
    const agent = newAgent();
    const created = clientCreated(agent);
    await h.store.append(created);
    await waitFor(async () => (await scheduledFor(agent, created.aggregate_id)).length >= 5, { what: 'planned' });
    const day3 = taskOf(created, 'day-3');

    // Another agent can neither see nor touch it, nor add tasks to the client.
    expect(await h.command(newAgent(), 'update_task', { task_id: day3, status: 'skipped' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(
      await h.command(newAgent(), 'create_task', { client_id: created.aggregate_id, scheduled_for: new Date().toISOString() }),
    ).toMatchObject({ ok: false, error: { code: 'not_found' } });

    const moved = await h.command(agent, 'update_task', { task_id: day3, scheduled_for: '2001-01-01T00:00:00Z', priority: 'high' });
    expect(moved).toMatchObject({
      ok: true,
      data: { id: day3, status: 'pending', priority: 'high', version: 2 },
      position: { stream: 'SCHEDULER' },
    });
    // "In the past" means now.
    const when = moved.ok ? Date.parse((moved.data as { scheduled_for: string }).scheduled_for) : 0;
    expect(Math.abs(when - Date.now())).toBeLessThan(10_000);

    const week1 = taskOf(created, 'week-1');
    expect(await h.command(agent, 'update_task', { task_id: week1, status: 'skipped' })).toMatchObject({
      ok: true,
      data: { status: 'skipped' },
    });
    expect(await h.command(agent, 'update_task', { task_id: week1, status: 'completed' })).toMatchObject({
      ok: false,
      error: { code: 'illegal_transition' },
    });
    expect(await h.command(agent, 'update_task', { task_id: week1, scheduled_for: new Date().toISOString() })).toMatchObject({
      ok: false,
      error: { code: 'illegal_transition' },
    });
    expect(
      await h.command(agent, 'update_task', { task_id: week1, status: 'completed', scheduled_for: new Date().toISOString() }),
    ).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect(await h.command(agent, 'update_task', { task_id: randomUUID(), notes: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });
});
