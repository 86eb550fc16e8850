import { randomUUID } from 'node:crypto';
import type { ClientStage, Envelope } from '@realtoros/contracts';
import { newEvent } from '@realtoros/messaging';
import { planTaskId } from '@realtoros/planning';
import { type ServiceProcess, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_CHANGES_DURABLE } from '../plan/plan-changes.workflow.ts';
import { enrollmentIdFor, PLANNER_DURABLE } from '../planning/client-events.listener.ts';
import { EMAIL_STOPS_DURABLE } from '../planning/outcome-events.listener.ts';
import {
  clientCreated,
  commandsReady,
  createdEnrollment,
  drained,
  newAgent,
  type SchedulerHarness,
  schedulerHarness,
  sleep,
} from '../test-support.ts';
import { ENROLLMENT_WORKFLOW_DURABLE } from './workflow.ts';

// Hours away, so nothing here falls due while the test runs (exact steps: no sending window).
const SCHEDULE = JSON.stringify([
  { followup_type: 'Day 1', offset_seconds: 3600, priority: 'high' },
  { followup_type: 'Day 3', offset_seconds: 3 * 3600, priority: 'medium' },
  { followup_type: 'Week 1', offset_seconds: 7 * 3600, priority: 'medium' },
  { followup_type: 'Week 2', offset_seconds: 14 * 3600, priority: 'low' },
  { followup_type: 'Month 1', offset_seconds: 30 * 3600, priority: 'low' },
]);

type Plan = { id: string; name: string; version: number; stage_trigger: ClientStage | null; stop_stages: ClientStage[] };
type Enrollment = { enrollment_id: string; plan_id: string; plan_version: number; status: string; ended_reason: string | null };

describe('enrolments: stage triggers, stop stages, pause/resume, manual enrolment, mailer stops (real scheduler process, real JetStream)', () => {
  let h: SchedulerHarness;
  let svc: ServiceProcess;
  beforeAll(async () => {
    h = await schedulerHarness({ FOLLOWUP_SCHEDULE: SCHEDULE });
    svc = h.start();
    await commandsReady(h);
  });
  afterAll(async () => {
    if (svc && /"level":(50|60)/.test(svc.output())) console.error(svc.output().slice(-5000));
    await h?.dispose();
  });

  const settled = async () => {
    await drained(h, 'CRM', PLANNER_DURABLE);
    await drained(h, 'SCHEDULER', ENROLLMENT_WORKFLOW_DURABLE);
  };
  const ofClient = async (clientId: string, type?: string) =>
    (await h.events()).filter(
      (e) => (e.aggregate_id === clientId || (e.data as { client_id?: string }).client_id === clientId) && (!type || e.type === type),
    );
  const tasksOf = async (enrollmentId: string) =>
    (await h.events()).filter((e) => e.type === 'TaskScheduled' && e.data.plan?.enrollment_id === enrollmentId);
  const cancelledWith = async (taskIds: readonly string[]) => {
    const ids = new Set(taskIds);
    return new Map(
      (await h.events())
        .filter((e) => e.type === 'TaskCancelled' && ids.has(e.aggregate_id))
        .map((e) => [e.aggregate_id, e.type === 'TaskCancelled' && e.data.reason]),
    );
  };
  const stageChanged = (agent: string, clientId: string, from: ClientStage, to: ClientStage) =>
    newEvent('ClientStageChanged', {
      agentId: agent,
      aggregateId: clientId,
      correlationId: `stage-${to}`,
      causationId: null,
      data: { from, to },
    });
  const createPlan = async (agent: string, body: Record<string, unknown>): Promise<Plan> => {
    const r = await h.command(agent, 'create_plan', body);
    if (!r.ok) throw new Error(`create_plan: ${JSON.stringify(r.error)}`);
    return r.data as Plan;
  };
  const plannedFor = async (created: Envelope, n = 5) => {
    const { enrollmentId, taskIds } = createdEnrollment(created);
    await waitFor(async () => (await tasksOf(enrollmentId)).length >= n, { what: 'the default plan planned' });
    return { enrollmentId, taskIds };
  };

  it('a stage attached to a plan enrols the client in it and ends the previous enrolment (replaced): its pending steps cancelled, the new plan placed in the window', async () => {
    const agent = newAgent();
    const closing = await createPlan(agent, {
      name: 'Closing checklist',
      stage_trigger: 'under_contract',
      steps: [
        { id: 'inspection', label: 'Inspection reminder', offset_days: 2, priority: 'high' },
        { id: 'closing-day', label: 'Closing day', offset_days: 10, action: 'task', time_of_day: '10:30' },
      ],
    });
    const created = clientCreated(agent);
    await h.store.append(created);
    const first = await plannedFor(created);

    const stage = stageChanged(agent, created.aggregate_id, 'lead', 'under_contract');
    await h.store.append(stage);
    const secondId = enrollmentIdFor(created.aggregate_id, stage.id);
    const planned = await waitFor(
      async () => {
        const t = await tasksOf(secondId);
        return t.length >= 2 && t;
      },
      { what: 'the stage plan planned' },
    );
    const enrolment = await ofClient(created.aggregate_id);
    // One decision: the default enrolment ends (replaced), the stage's plan begins.
    const [endedEvt, enrolledEvt] = enrolment.filter(
      (e) => e.causation_id === stage.id && (e.type === 'EnrollmentEnded' || e.type === 'ClientEnrolled'),
    );
    expect(endedEvt).toMatchObject({
      type: 'EnrollmentEnded',
      causation_id: stage.id,
      data: { enrollment_id: first.enrollmentId, reason: 'replaced' },
    });
    expect(enrolledEvt).toMatchObject({
      type: 'ClientEnrolled',
      causation_id: stage.id,
      data: { enrollment_id: secondId, plan_id: closing.id, plan_version: 1, source: 'stage', enrolled_at: stage.occurred_at },
    });
    // The default plan's pending steps are cancelled with the end's reason.
    await waitFor(async () => (await cancelledWith(first.taskIds)).size === 5, { what: 'replaced steps cancelled' });
    expect([...(await cancelledWith(first.taskIds)).values()]).toEqual(Array(5).fill('replaced'));
    // The new plan's steps: planTaskId(enrolment, step), placed in the agent's window (New York, Mon–Fri 09:00–17:00).
    expect(new Set(planned.map((e) => e.aggregate_id))).toEqual(new Set(['inspection', 'closing-day'].map((s) => planTaskId(secondId, s))));
    for (const e of planned) {
      if (e.type !== 'TaskScheduled') throw new Error('unexpected');
      expect(e.data).toMatchObject({
        origin: 'plan',
        followup_type: 'Custom',
        timing: { placement: 'window', time_zone: 'America/New_York' },
      });
      const local = new Intl.DateTimeFormat('en-US', {
        timeZone: 'America/New_York',
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(new Date(e.data.scheduled_for));
      expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) (09|1[0-6]):\d\d$/);
    }
    const callStep = planned.find((e) => e.aggregate_id === planTaskId(secondId, 'closing-day'));
    expect(callStep?.type === 'TaskScheduled' && callStep.data.plan).toMatchObject({
      action: 'task',
      step_label: 'Closing day',
      step_index: 2,
      plan_name: 'Closing checklist',
    });

    // The same stage again (a redelivery, or moving away and back while in the plan): nothing new.
    await settled();
    const before = (await h.events()).length;
    await h.store.append(stageChanged(agent, created.aggregate_id, 'under_contract', 'under_contract'));
    await settled();
    expect((await h.events()).length).toBe(before);
  });

  it("a plan's own stop stages end it (stage_<stage>); a plan without lost among them keeps a lost client", async () => {
    const agent = newAgent();
    const picky = await createPlan(agent, {
      name: 'Nurture',
      stop_stages: ['negotiating'],
      steps: [{ id: 'hello', label: 'Hello', offset_days: 3 }],
    });
    const keepsGoing = await createPlan(agent, {
      name: 'Win-back',
      stop_stages: [],
      steps: [{ id: 'later', label: 'Later', offset_days: 30 }],
    });

    const a = clientCreated(agent, randomUUID(), new Date(), { plan_id: picky.id });
    const b = clientCreated(agent, randomUUID(), new Date(), { plan_id: keepsGoing.id });
    await h.store.append(a);
    await h.store.append(b);
    const aTasks = await plannedFor(a, 1);
    await plannedFor(b, 1);

    await h.store.append(stageChanged(agent, a.aggregate_id, 'lead', 'negotiating'));
    await h.store.append(stageChanged(agent, b.aggregate_id, 'lead', 'lost'));
    await waitFor(async () => (await cancelledWith([planTaskId(aTasks.enrollmentId, 'hello')])).size === 1, {
      what: 'nurture step cancelled',
    });
    expect([...(await cancelledWith([planTaskId(aTasks.enrollmentId, 'hello')])).values()]).toEqual(['stage_negotiating']);
    expect((await ofClient(a.aggregate_id, 'EnrollmentEnded')).map((e) => e.type === 'EnrollmentEnded' && e.data.reason)).toEqual([
      'stage_negotiating',
    ]);
    await settled();
    expect(await ofClient(b.aggregate_id, 'EnrollmentEnded')).toEqual([]);
    expect(await ofClient(b.aggregate_id, 'TaskCancelled')).toEqual([]);
  });

  it('steps are placed in the client’s zone: a 02:00 step goes inside the window; a daily 10:00 step keeps 10:00 across 2026-03-08 and 2026-11-01 (America/New_York)', async () => {
    const agent = newAgent();
    // The agent: New York, every day open 09:00–17:00 (so only the time of day and DST matter).
    await h.store.append(
      newEvent('AgentSettingsChanged', {
        agentId: agent,
        aggregateId: agent,
        correlationId: 'settings',
        causationId: null,
        data: { changes: { time_zone: 'America/New_York', business_days: [1, 2, 3, 4, 5, 6, 7] } },
      }),
    );
    const daily = await createPlan(agent, {
      name: 'Daily at ten',
      steps: Array.from({ length: 6 }, (_, i) => ({ label: `Day ${i}`, offset_days: i, time_of_day: '10:00' })),
    });
    const night = await createPlan(agent, { name: 'Night owl', steps: [{ label: 'Late', offset_days: 1, time_of_day: '02:00' }] });
    // Enrolled (created) before each DST change; a Chicago client for the 02:00 step.
    const spring = clientCreated(agent, randomUUID(), new Date('2026-03-05T15:00:00Z'), { plan_id: daily.id });
    const autumn = clientCreated(agent, randomUUID(), new Date('2026-10-29T14:00:00Z'), { plan_id: daily.id });
    const chicago = clientCreated(agent, randomUUID(), new Date('2027-01-04T18:00:00Z'), {
      plan_id: night.id,
      time_zone: 'America/Chicago',
    });
    for (const c of [spring, autumn, chicago]) await h.store.append(c);
    const placed = async (c: Envelope, n: number) => {
      const { enrollmentId } = createdEnrollment(c);
      const tasks = await waitFor(
        async () => {
          const t = await tasksOf(enrollmentId);
          return t.length >= n && t;
        },
        { what: 'steps placed' },
      );
      return tasks.map((e) => (e.type === 'TaskScheduled' ? e.data.scheduled_for : '')).sort();
    };
    // 10:00 EST is 15:00Z, 10:00 EDT is 14:00Z: the UTC hour moves, the local time does not.
    expect(await placed(spring, 6)).toEqual([
      '2026-03-05T15:00:00.000Z',
      '2026-03-06T15:00:00.000Z',
      '2026-03-07T15:00:00.000Z',
      '2026-03-08T14:00:00.000Z',
      '2026-03-09T14:00:00.000Z',
      '2026-03-10T14:00:00.000Z',
    ]);
    expect(await placed(autumn, 6)).toEqual([
      '2026-10-29T14:00:00.000Z',
      '2026-10-30T14:00:00.000Z',
      '2026-10-31T14:00:00.000Z',
      '2026-11-01T15:00:00.000Z',
      '2026-11-02T15:00:00.000Z',
      '2026-11-03T15:00:00.000Z',
    ]);
    // 02:00 Chicago on Tue 2027-01-05 is outside 09:00–17:00: moved into that morning's window, in Chicago (CST = UTC−6).
    const [late] = await placed(chicago, 1);
    const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'America/Chicago', dateStyle: 'short', timeStyle: 'short' }).format(
      new Date(late as string),
    );
    expect(local.startsWith('05/01/2027')).toBe(true);
    const hour = Number(local.slice(-5, -3));
    expect(hour).toBeGreaterThanOrEqual(9);
    expect(hour).toBeLessThan(17);
    const timing = (await tasksOf(createdEnrollment(chicago).enrollmentId))[0];
    expect(timing?.type === 'TaskScheduled' && timing.data.timing).toMatchObject({
      placement: 'window',
      time_zone: 'America/Chicago',
      planned_for: '2027-01-05T08:00:00.000Z',
    });
  });

  it('ClientCreated: plan_id null joins no plan; a picked plan is that one; another agent’s plan (or an unknown one) joins none', async () => {
    const agent = newAgent();
    const other = newAgent();
    const mine = await createPlan(agent, { name: 'Buyers', steps: [{ label: 'Intro', offset_days: 1 }] });
    const theirs = await createPlan(other, { name: 'Theirs', steps: [{ label: 'Intro', offset_days: 1 }] });

    const none = clientCreated(agent, randomUUID(), new Date(), { plan_id: null });
    const picked = clientCreated(agent, randomUUID(), new Date(), { plan_id: mine.id });
    const foreign = clientCreated(agent, randomUUID(), new Date(), { plan_id: theirs.id });
    for (const c of [none, picked, foreign]) await h.store.append(c);
    await waitFor(async () => (await tasksOf(createdEnrollment(picked).enrollmentId)).length >= 1, { what: 'picked plan planned' });
    await settled();
    expect(await ofClient(picked.aggregate_id, 'ClientEnrolled')).toMatchObject([{ data: { plan_id: mine.id, source: 'created' } }]);
    expect(await ofClient(none.aggregate_id, 'ClientEnrolled')).toEqual([]);
    expect(await ofClient(foreign.aggregate_id, 'ClientEnrolled')).toEqual([]);
    // plan_id null did not even create the default plan; the agent's plans are only "Buyers".
    expect(
      (await h.events())
        .filter((e) => e.agent_id === agent && e.type === 'PlanCreated')
        .map((e) => e.type === 'PlanCreated' && e.data.name),
    ).toEqual(['Buyers']);
  });

  it('pause holds the pending steps; resume re-places them moved on by the time paused; wrong-state commands are 409', async () => {
    const agent = newAgent();
    const created = clientCreated(agent);
    await h.store.append(created);
    const { enrollmentId, taskIds } = await plannedFor(created);
    // The agent already finished one step: it is history, neither held nor moved.
    expect((await h.command(agent, 'update_task', { task_id: taskIds[0] as string, status: 'completed' })).ok).toBe(true);
    const pending = taskIds.slice(1);

    const paused = await h.command(agent, 'change_enrollment', { client_id: created.aggregate_id, action: 'pause' });
    expect(paused).toMatchObject({
      ok: true,
      data: { enrollment_id: enrollmentId, status: 'paused', paused_until: null },
      position: { stream: 'SCHEDULER' },
    });
    const held = await waitFor(
      async () => {
        const e = (await h.events()).filter((x) => x.type === 'TaskHeld' && pending.includes(x.aggregate_id));
        return e.length >= 4 && e;
      },
      { what: 'held steps' },
    );
    expect(held.every((e) => e.type === 'TaskHeld' && e.data.reason === 'paused' && e.data.until === null)).toBe(true);
    expect(await h.command(agent, 'change_enrollment', { client_id: created.aggregate_id, action: 'pause' })).toMatchObject({
      ok: false,
      error: { code: 'illegal_transition' },
    });

    await sleep(1200);
    const resumed = await h.command(agent, 'change_enrollment', { client_id: created.aggregate_id, action: 'resume' });
    expect(resumed).toMatchObject({ ok: true, data: { status: 'active' } });
    const resumedEvt = (await ofClient(created.aggregate_id, 'EnrollmentResumed'))[0];
    const pausedMs = resumedEvt?.type === 'EnrollmentResumed' ? resumedEvt.data.paused_ms : 0;
    expect(pausedMs).toBeGreaterThanOrEqual(1000);
    const moved = await waitFor(
      async () => {
        const e = (await h.events()).filter((x) => x.type === 'TaskRescheduled' && pending.includes(x.aggregate_id));
        return e.length >= 4 && e;
      },
      { what: 'resumed steps' },
    );
    const base = Date.parse(created.occurred_at) + pausedMs;
    const offsets = [3, 7, 14, 30].map((hours) => hours * 3600_000);
    expect(
      moved.map((e) => e.type === 'TaskRescheduled' && [e.aggregate_id, e.data.by, Date.parse(e.data.scheduled_for) - base]).sort(),
    ).toEqual(pending.map((id, i) => [id, 'resume', offsets[i]]).sort());
    expect(await h.command(agent, 'change_enrollment', { client_id: created.aggregate_id, action: 'resume' })).toMatchObject({
      ok: false,
      error: { code: 'illegal_transition' },
    });

    // The agent ends it: the rest is cancelled (`manual`), and the enrolment can't be ended twice.
    expect(await h.command(agent, 'change_enrollment', { client_id: created.aggregate_id, action: 'end' })).toMatchObject({
      ok: true,
      data: { status: 'ended', ended_reason: 'manual' },
    });
    await waitFor(async () => (await cancelledWith(pending)).size === 4, { what: 'ended steps cancelled' });
    expect([...(await cancelledWith(pending)).values()]).toEqual(Array(4).fill('manual'));
    expect(await h.command(agent, 'change_enrollment', { client_id: created.aggregate_id, action: 'end' })).toMatchObject({
      ok: false,
      error: { code: 'illegal_transition' },
    });
    expect(await h.command(agent, 'change_enrollment', { client_id: randomUUID(), action: 'pause' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });

  it('enroll_client: another plan replaces the current one; the same plan is a no-op; tenancy and standing are checked', async () => {
    const agent = newAgent();
    const other = newAgent();
    const buyers = await createPlan(agent, { name: 'Buyers', steps: [{ id: 'intro', label: 'Intro', offset_days: 1 }] });
    const theirs = await createPlan(other, { name: 'Theirs', steps: [{ label: 'Intro', offset_days: 1 }] });
    const created = clientCreated(agent);
    await h.store.append(created);
    const first = await plannedFor(created);

    const enrolled = await h.command(agent, 'enroll_client', { client_id: created.aggregate_id, plan_id: buyers.id });
    expect(enrolled).toMatchObject({
      ok: true,
      data: { plan_id: buyers.id, plan_version: 1, status: 'active' },
      position: { stream: 'SCHEDULER' },
    });
    const newId = enrolled.ok ? (enrolled.data as Enrollment).enrollment_id : '';
    await waitFor(async () => (await tasksOf(newId)).length === 1, { what: 'manual enrolment planned' });
    await waitFor(async () => (await cancelledWith(first.taskIds)).size === 5, { what: 'replaced' });
    expect(new Set((await cancelledWith(first.taskIds)).values())).toEqual(new Set(['replaced']));

    const again = await h.command(agent, 'enroll_client', { client_id: created.aggregate_id, plan_id: buyers.id });
    expect(again).toMatchObject({ ok: true, data: { enrollment_id: newId, status: 'active' } });
    expect((await ofClient(created.aggregate_id, 'ClientEnrolled')).length).toBe(2);

    expect(await h.command(agent, 'enroll_client', { client_id: created.aggregate_id, plan_id: theirs.id })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await h.command(other, 'enroll_client', { client_id: created.aggregate_id, plan_id: theirs.id })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    await h.store.append(
      newEvent('ClientUnsubscribed', {
        agentId: agent,
        aggregateId: created.aggregate_id,
        correlationId: 'u',
        causationId: null,
        data: { source: 'link', at: new Date().toISOString() },
      }),
    );
    expect(await h.command(agent, 'enroll_client', { client_id: created.aggregate_id, plan_id: buyers.id })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
    // The unsubscription ended the enrolment and cancelled its step.
    await waitFor(async () => (await cancelledWith([planTaskId(newId, 'intro')])).get(planTaskId(newId, 'intro')) === 'unsubscribed', {
      what: 'unsubscribed',
    });
  });

  it('a bounce or a spam report on an email to the client ends its enrolment (bounced / spam_reported); a replayed old report does not end a later one', async () => {
    const agent = newAgent();
    const mailEvent = (type: 'EmailBounced' | 'EmailSpamReported', clientId: string, at = new Date()) =>
      newEvent(type, {
        agentId: agent,
        aggregateId: randomUUID(),
        correlationId: 'webhook',
        causationId: null,
        occurredAt: at,
        data: {
          task_id: null,
          client_id: clientId,
          sg_event_id: randomUUID(),
          event: type === 'EmailBounced' ? 'bounce' : 'spamreport',
          timestamp: at.toISOString(),
        },
      });
    const a = clientCreated(agent);
    const b = clientCreated(agent);
    const c = clientCreated(agent);
    for (const x of [a, b, c]) await h.store.append(x);
    const aPlan = await plannedFor(a);
    const bPlan = await plannedFor(b);
    await plannedFor(c);

    await h.store.append(mailEvent('EmailBounced', a.aggregate_id));
    await h.store.append(mailEvent('EmailSpamReported', b.aggregate_id));
    // A report from before c's enrolment began (an old one, replayed) leaves it alone.
    await h.store.append(mailEvent('EmailBounced', c.aggregate_id, new Date(Date.parse(c.occurred_at) - 60_000)));
    await waitFor(async () => (await cancelledWith(aPlan.taskIds)).size === 5 && (await cancelledWith(bPlan.taskIds)).size === 5, {
      what: 'mailer stops',
    });
    expect(new Set((await cancelledWith(aPlan.taskIds)).values())).toEqual(new Set(['bounced']));
    expect(new Set((await cancelledWith(bPlan.taskIds)).values())).toEqual(new Set(['spam_reported']));
    await drained(h, 'MAILER', EMAIL_STOPS_DURABLE);
    expect(await ofClient(c.aggregate_id, 'EnrollmentEnded')).toEqual([]);
  });
  it('two replicas, a burst, then every consumer replayed from the start: one enrolment per cause, each task once, nothing more on replay', async () => {
    const agent = newAgent();
    const closing = await createPlan(agent, {
      name: 'Closing checklist',
      stage_trigger: 'under_contract',
      steps: [{ id: 'inspection', label: 'Inspection', offset_days: 2 }],
    });
    const second = h.start();
    await sleep(500);
    const clients = Array.from({ length: 40 }, () => clientCreated(agent));
    await Promise.all(clients.map((c) => h.store.append(c)));
    await Promise.all(clients.slice(0, 20).map((c) => h.store.append(stageChanged(agent, c.aggregate_id, 'lead', 'under_contract'))));
    await waitFor(
      async () => {
        const ev = await h.events();
        const scheduled = ev.filter((e) => e.type === 'TaskScheduled' && e.agent_id === agent).length;
        const cancelled = ev.filter((e) => e.type === 'TaskCancelled' && e.agent_id === agent).length;
        return scheduled === 40 * 5 + 20 && cancelled === 20 * 5;
      },
      { what: 'the burst planned', timeoutMs: 30_000 },
    );
    await settled();
    await drained(h, 'SCHEDULER', PLAN_CHANGES_DURABLE);
    const before = await h.events();
    const mine = before.filter((e) => e.agent_id === agent);
    // Exactly one ClientEnrolled per cause, one TaskScheduled per task, no event twice.
    expect(mine.filter((e) => e.type === 'ClientEnrolled')).toHaveLength(60);
    expect(mine.filter((e) => e.type === 'ClientEnrolled' && e.data.plan_id === closing.id)).toHaveLength(20);
    const scheduledIds = mine.filter((e) => e.type === 'TaskScheduled').map((e) => e.aggregate_id);
    expect(new Set(scheduledIds).size).toBe(scheduledIds.length);
    expect(new Set(before.map((e) => e.id)).size).toBe(before.length);

    await Promise.all([svc.stop('SIGKILL'), second.stop('SIGKILL')]);
    for (const [stream, durable] of [
      ['CRM', PLANNER_DURABLE],
      ['SCHEDULER', ENROLLMENT_WORKFLOW_DURABLE],
      ['SCHEDULER', PLAN_CHANGES_DURABLE],
      ['MAILER', EMAIL_STOPS_DURABLE],
    ] as const)
      await h.store.jsm.consumers.delete(stream, durable);
    svc = h.start();
    await commandsReady(h);
    for (const [stream, durable] of [
      ['CRM', PLANNER_DURABLE],
      ['SCHEDULER', ENROLLMENT_WORKFLOW_DURABLE],
      ['SCHEDULER', PLAN_CHANGES_DURABLE],
    ] as const)
      await waitFor(
        async () => {
          const info = await h.store.jsm.consumers.info(stream, durable);
          return info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.stream_seq > 0;
        },
        { what: `${durable} replayed`, timeoutMs: 60_000 },
      );
    await sleep(300);
    const after = await h.events();
    expect(after.length).toBe(before.length);
  }, 120_000);
});
