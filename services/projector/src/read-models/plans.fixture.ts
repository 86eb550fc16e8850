// A plans-and-enrolments history for tests of the read models and their queries (issue 8):
// settings changes, clients with and without a zone, a default plan edited to v2 (applied to
// new enrolments only), a stage plan deleted, enrolments paused, resumed, migrated, ended
// and replaced, tasks planned, held (pause, daily cap), moved by the agent and by an edit.
import type { Envelope, EventData, EventType } from '@realtoros/contracts';
import { deterministicId, newEvent } from '@realtoros/messaging';

const id = (...parts: string[]) => deterministicId('plans-fixture', ...parts);
const at = (minute: number) => new Date(Date.UTC(2026, 10, 23, 14, minute)); // Mon 2026-11-23

export type PlanScenario = ReturnType<typeof planScenario>;

export function planScenario(seed: string) {
  const agent = id(seed, 'agent');
  const other = id(seed, 'other-agent');
  const c1 = id(seed, 'c1');
  const c2 = id(seed, 'c2');
  const c3 = id(seed, 'c3');
  const planP = id(seed, 'plan-p');
  const planQ = id(seed, 'plan-q');
  const planO = id(seed, 'plan-other');
  const e1 = id(seed, 'e1'); // c1 in P v1, paused, resumed, migrated to v2, then paused again
  const e2 = id(seed, 'e2'); // c2 in Q, ended (plan deleted)
  const e3 = id(seed, 'e3'); // c2 in P v2, active
  const e4 = id(seed, 'e4'); // c3 in P v2, ended (stage lost)
  const t1 = id(seed, 't1'); // e1 day-1
  const t2 = id(seed, 't2'); // e1 day-3
  const t3 = id(seed, 't3'); // e3 day-1, held by the daily cap
  const t4 = id(seed, 't4'); // e3 week-1, completed
  const t5 = id(seed, 't5'); // manual task of c1
  const email = id(seed, 'email');

  const step = (sid: string, label: string, offset_days: number, extra: Partial<EventData<'PlanCreated'>['steps'][number]> = {}) => ({
    id: sid,
    label,
    offset_days,
    time_of_day: null,
    priority: 'medium' as const,
    action: 'email' as const,
    instructions: null,
    template_id: null,
    ...extra,
  });
  const v1Steps = [step('day-1', 'Day 1', 1, { priority: 'high' }), step('day-3', 'Day 3', 3)];
  const v2Steps = [
    step('day-1', 'Welcome', 1, { priority: 'high', instructions: 'warm' }),
    step('week-1', 'Week 1', 7, { action: 'task' }),
  ];
  const planRef = (
    enrollment: string,
    version: number,
    stepId: string,
    index: number,
    label: string,
    action: 'email' | 'task' = 'email',
  ) => ({
    enrollment_id: enrollment,
    plan_id: planP,
    plan_name: 'Standard follow-up',
    plan_version: version,
    step_id: stepId,
    step_index: index,
    step_label: label,
    action,
    instructions: null,
    template_id: null,
  });
  const timing = (planned: string, zone = 'America/Chicago') => ({ planned_for: planned, time_zone: zone, placement: 'window' as const });

  let minute = 0;
  const events: Envelope[] = [];
  const ev = <T extends EventType>(type: T, aggregateId: string, data: EventData<T>, agentId = agent) => {
    const e = newEvent(type, { agentId, aggregateId, data, correlationId: 'fixture', causationId: null, occurredAt: at(minute++) });
    events.push(e as Envelope);
    return e;
  };
  const profile = (name: string, time_zone?: string | null) => ({
    name,
    email: `${name.toLowerCase()}@example.com`,
    phone: null,
    property_address: null,
    property_type: null,
    notes: null,
    custom_fields: {},
    ...(time_zone !== undefined ? { time_zone } : {}),
    stage: 'lead' as const,
  });

  // CRM
  ev('AgentRegistered', agent, { email: 'agent@example.com', name: 'Al', password_hash: 'scrypt$x' });
  ev('AgentSettingsChanged', agent, { changes: { daily_cap: 20, time_zone: 'America/Chicago' } });
  ev('AgentSettingsChanged', agent, { changes: { daily_cap: 30, window_end: '16:00', holidays: ['2026-12-25'] } });
  ev('ClientCreated', c1, { ...profile('Ann', 'America/Chicago'), plan_id: planP });
  ev('ClientCreated', c2, profile('Bo'));
  ev('ClientUpdated', c2, { changes: { time_zone: 'Europe/Paris' } });
  ev('ClientCreated', c3, { ...profile('Cy', null), plan_id: null });
  ev('ClientStageChanged', c3, { from: 'lead', to: 'lost', changes: { time_zone: 'America/Denver' } });
  ev('ClientCreated', id(seed, 'other-client'), profile('Other'), other);

  // SCHEDULER: plans
  const planData = { stop_stages: ['lost' as const, 'closed' as const], stage_trigger: null, is_default: true };
  ev('PlanCreated', planP, { name: 'Standard follow-up', version: 1, steps: v1Steps, ...planData });
  ev('PlanCreated', planQ, {
    name: 'Closing checklist',
    version: 1,
    steps: [step('c-1', 'Congrats', 0)],
    ...planData,
    is_default: false,
    stage_trigger: 'under_contract',
  });
  ev('PlanCreated', planO, { name: 'Theirs', version: 1, steps: v1Steps, ...planData }, other);

  // e1: c1 in P v1
  ev('ClientEnrolled', c1, {
    client_id: c1,
    enrollment_id: e1,
    plan_id: planP,
    plan_name: 'Standard follow-up',
    plan_version: 1,
    enrolled_at: at(0).toISOString(),
    source: 'created',
  });
  ev('TaskScheduled', t1, {
    client_id: c1,
    followup_type: 'Day 1',
    scheduled_for: '2026-11-24T15:07:00.000Z',
    priority: 'high',
    notes: null,
    version: 1,
    origin: 'plan',
    plan: planRef(e1, 1, 'day-1', 1, 'Day 1'),
    timing: timing('2026-11-24T15:07:00.000Z'),
  });
  ev('TaskScheduled', t2, {
    client_id: c1,
    followup_type: 'Day 3',
    scheduled_for: '2026-11-30T15:07:00.000Z',
    priority: 'medium',
    notes: null,
    version: 1,
    origin: 'plan',
    plan: planRef(e1, 1, 'day-3', 2, 'Day 3'),
    timing: timing('2026-11-28T08:14:00.000Z'),
  });
  ev('TaskScheduled', t5, {
    client_id: c1,
    followup_type: 'Custom',
    scheduled_for: '2026-11-26T16:00:00.000Z',
    priority: 'low',
    notes: 'call',
    version: 1,
    origin: 'manual',
  });
  ev('EnrollmentPaused', c1, { client_id: c1, enrollment_id: e1, reason: 'manual', until: null });
  ev('TaskHeld', t1, { client_id: c1, reason: 'paused', from: '2026-11-24T15:07:00.000Z', until: null, version: 2 });
  ev('TaskHeld', t2, { client_id: c1, reason: 'paused', from: '2026-11-30T15:07:00.000Z', until: null, version: 2 });
  ev('EnrollmentResumed', c1, { client_id: c1, enrollment_id: e1, paused_ms: 3_600_000 });
  ev('TaskRescheduled', t1, {
    client_id: c1,
    scheduled_for: '2026-11-24T16:07:00.000Z',
    previous: '2026-11-24T15:07:00.000Z',
    version: 3,
    by: 'resume',
    timing: timing('2026-11-24T16:07:00.000Z'),
  });
  ev('TaskRescheduled', t2, {
    client_id: c1,
    scheduled_for: '2026-11-30T16:07:00.000Z',
    previous: '2026-11-30T15:07:00.000Z',
    version: 3,
    by: 'resume',
    timing: timing('2026-11-28T09:14:00.000Z'),
  });

  // P v2 (apply_to new), then e1 migrated onto it: day-1 relabelled, day-3 removed (cancelled), week-1 added.
  // v1 was written before plans had on_reply (absent: end); v2 pauses on a reply.
  ev('PlanChanged', planP, { name: 'Standard follow-up', version: 2, steps: v2Steps, ...planData, on_reply: 'pause', apply_to: 'new' });
  ev('EnrollmentMigrated', c1, { client_id: c1, enrollment_id: e1, plan_id: planP, from_version: 1, to_version: 2 });
  ev('TaskRescheduled', t1, {
    client_id: c1,
    scheduled_for: '2026-11-24T16:07:00.000Z',
    previous: '2026-11-24T16:07:00.000Z',
    version: 4,
    by: 'plan_change',
    timing: timing('2026-11-24T16:07:00.000Z'),
    plan: planRef(e1, 2, 'day-1', 1, 'Welcome'),
  });
  ev('TaskCancelled', t2, { client_id: c1, reason: 'step_removed' });
  // The agent moves t1 by hand: pinned.
  ev('TaskRescheduled', t1, { client_id: c1, scheduled_for: '2026-11-25T17:00:00.000Z', previous: '2026-11-24T16:07:00.000Z', version: 5 });
  ev('EnrollmentPaused', c1, { client_id: c1, enrollment_id: e1, reason: 'manual', until: '2026-12-01T15:00:00.000Z' });

  // e2: c2 in Q, then Q deleted; e3: c2 in P v2.
  ev('ClientEnrolled', c2, {
    client_id: c2,
    enrollment_id: e2,
    plan_id: planQ,
    plan_name: 'Closing checklist',
    plan_version: 1,
    enrolled_at: at(30).toISOString(),
    source: 'stage',
  });
  ev('PlanDeleted', planQ, { name: 'Closing checklist', version: 1 });
  ev('EnrollmentEnded', c2, { client_id: c2, enrollment_id: e2, plan_id: planQ, reason: 'plan_deleted' });
  ev('ClientEnrolled', c2, {
    client_id: c2,
    enrollment_id: e3,
    plan_id: planP,
    plan_name: 'Standard follow-up',
    plan_version: 2,
    enrolled_at: at(40).toISOString(),
    source: 'manual',
  });
  ev('TaskScheduled', t3, {
    client_id: c2,
    followup_type: 'Custom',
    scheduled_for: '2026-11-24T09:20:00.000Z',
    priority: 'high',
    notes: null,
    version: 1,
    origin: 'plan',
    plan: planRef(e3, 2, 'day-1', 1, 'Welcome'),
    timing: timing('2026-11-24T09:20:00.000Z', 'Europe/Paris'),
  });
  ev('TaskScheduled', t4, {
    client_id: c2,
    followup_type: 'Week 1',
    scheduled_for: '2026-11-30T09:20:00.000Z',
    priority: 'medium',
    notes: null,
    version: 1,
    origin: 'plan',
    plan: planRef(e3, 2, 'week-1', 2, 'Week 1', 'task'),
    timing: timing('2026-11-30T09:20:00.000Z', 'Europe/Paris'),
  });
  ev('TaskHeld', t3, {
    client_id: c2,
    reason: 'daily_cap',
    from: '2026-11-24T09:20:00.000Z',
    until: '2026-11-25T08:20:00.000Z',
    version: 2,
    cap: 30,
    time_zone: 'Europe/Paris',
  });
  ev('TaskDue', t4, {
    client_id: c2,
    followup_type: 'Week 1',
    scheduled_for: '2026-11-30T09:20:00.000Z',
    version: 1,
    fired_at: '2026-11-30T09:20:01.000Z',
    action: 'task',
    step_label: 'Week 1',
    instructions: null,
  });
  ev('TaskCompleted', t4, { client_id: c2, by: 'agent', email_id: null, completed_at: '2026-11-30T10:00:00.000Z' });

  // e4: c3 in P v2, ended because it was lost.
  ev('ClientEnrolled', c3, {
    client_id: c3,
    enrollment_id: e4,
    plan_id: planP,
    plan_name: 'Standard follow-up',
    plan_version: 2,
    enrolled_at: at(50).toISOString(),
    source: 'created',
  });
  ev('EnrollmentEnded', c3, { client_id: c3, enrollment_id: e4, plan_id: planP, reason: 'stage_lost' });

  // AI / MAILER: an email for t3 after its hold.
  ev('TaskDue', t3, {
    client_id: c2,
    followup_type: 'Custom',
    scheduled_for: '2026-11-25T08:20:00.000Z',
    version: 2,
    fired_at: '2026-11-25T08:20:01.000Z',
    action: 'email',
    step_label: 'Welcome',
    instructions: 'warm',
  });
  ev('EmailGenerated', email, {
    task_id: t3,
    client_id: c2,
    followup_type: 'Custom',
    to_email: 'bo@example.com',
    to_name: 'Bo',
    subject: 'Hi',
    body: 'Hello Bo',
    provider: 'openai',
    model: 'gpt-test',
    prompt_version: 'v1',
    fallback_reason: null,
  });
  ev('EmailSent', email, {
    task_id: t3,
    client_id: c2,
    to_email: 'bo@example.com',
    provider: 'sendgrid',
    message_id: 'm-1',
    sent_at: at(70).toISOString(),
    attempts: 1,
  });
  ev('TaskCompleted', t3, { client_id: c2, by: 'email', email_id: email, completed_at: at(71).toISOString() });

  return {
    agent,
    other,
    clients: { c1, c2, c3 },
    plans: { P: planP, Q: planQ, other: planO },
    enrollments: { e1, e2, e3, e4 },
    tasks: { t1, t2, t3, t4, t5 },
    email,
    steps: { v1: v1Steps, v2: v2Steps },
    events,
    at,
  };
}
