import { deterministicId, type Envelope, foldClientFacts, subjects, type TaskCancelReason } from '@realtoros/contracts';
import { type EventStore, type RunningConsumer, runConsumer } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import {
  followupTypeFor,
  type PlanEffect,
  type PlanTaskSnapshot,
  placeSteps,
  planChangeEffects,
  planTaskId,
  resumeEffects,
  taskPlanRef,
} from '@realtoros/planning';
import type { ExistingPlan, StoredPlanVersion } from '../plan/plan.ts';
import { planVersion } from '../plan/plan.ts';
import type { PlanStore } from '../plan/plan-store.ts';
import { serialByKey } from '../planning/concurrency.ts';
import type { AgentSettingsReader } from '../settings/agent-settings.ts';
import type { TaskCommand } from '../task/decide.ts';
import type { TaskStore } from '../task/task-store.ts';
import { anchorOf, type EnrollmentRecord, findEnrollment, isEnrollmentEventType } from './enrollment.ts';
import type { EnrollmentStore } from './enrollment-store.ts';
import type { PlanEnrollmentsIndex } from './plan-enrollments-index.ts';

export const ENROLLMENT_WORKFLOW_DURABLE = 'scheduler-enrollments';

export type EnrollmentWorkflowDeps = {
  store: EventStore;
  tasks: TaskStore;
  plans: PlanStore;
  enrollments: EnrollmentStore;
  index: PlanEnrollmentsIndex;
  settings: AgentSettingsReader;
  log: Logger;
  now?: () => Date;
};

type Cause = { correlationId: string; causationId: string; traceparent: string | null; occurredAt: Date };

/**
 * Enrolment events → task commands, through the task store (so every task write is decided
 * by the task's own rules, with derived ids):
 *
 * - ClientEnrolled → index it (`sched_plan_enrollments`, before the ack), then one
 *   ScheduleTask per step of the version it is on, task id `planTaskId(enrolment, step)`,
 *   placed by `placeSteps` (libs/planning) from the anchor in the client's zone; TaskScheduled's
 *   id is derived from the task alone, so a redelivery plans nothing more. Then it looks again:
 *   an enrolment that ended or paused meanwhile gets its new tasks cancelled / held here (the
 *   end's or pause's own pass may have run before they existed), and a plan deleted or edited
 *   (`apply_to: current`) meanwhile ends or migrates it (that workflow may have listed the
 *   index before this enrolment was in it).
 * - EnrollmentPaused → HoldTask {paused} on each of its pending tasks.
 * - EnrollmentResumed → `resumeEffects`: the remaining steps re-placed from the anchor moved on
 *   by the time paused (RescheduleTask {by: resume}); held tasks are re-armed.
 * - EnrollmentEnded → unindex it; CancelTask {reason: the end reason} on each of its tasks.
 * - EnrollmentMigrated → `planChangeEffects` (the one function the gateway previews with):
 *   RescheduleTask {by: plan_change} / ScheduleTask / CancelTask {step_removed}.
 *
 * An enrolment's tasks: `planTaskId(enrolment, step)` for every step of every version from the
 * one it joined at to the one it is on. Each handler reads the enrolment's current state and
 * does nothing that state no longer calls for (a pause already resumed, an enrolment ended),
 * so redeliveries and restarts are harmless. Time-dependent choices (a step already past) are
 * taken at the event's `occurred_at`, so a redelivery chooses the same.
 */
export function enrollmentWorkflowHandler(deps: EnrollmentWorkflowDeps) {
  const now = deps.now ?? (() => new Date());

  async function clientZone(agentId: string, clientId: string): Promise<string | null> {
    const subject = subjects.client(agentId, clientId);
    // Most enrolments follow the client's creation: when its last event is ClientCreated it
    // is the only one (it opens the subject), and one read does instead of a walk.
    const last = await deps.store.readLast('CRM', subject);
    if (!last) return null;
    const events = last.event.type === 'ClientCreated' ? [last] : (await deps.store.readSubject('CRM', subject)).events;
    const facts = foldClientFacts(events.map((e) => e.event));
    return facts.status === 'absent' ? null : (facts.profile.time_zone ?? null);
  }

  async function loadPlan(agentId: string, planId: string): Promise<ExistingPlan | null> {
    const { state } = await deps.plans.load({ agentId, aggregateId: planId });
    return state.status === 'absent' ? null : state;
  }

  async function loadRecord(agentId: string, clientId: string, enrollmentId: string): Promise<EnrollmentRecord | null> {
    const { state } = await deps.enrollments.load({ agentId, aggregateId: clientId });
    return findEnrollment(state, enrollmentId);
  }

  /** Every task id the enrolment may have: each step of each version it has been through. */
  function taskIdsOf(plan: ExistingPlan, r: EnrollmentRecord): string[] {
    const steps = new Set<string>();
    for (const v of plan.versions)
      if (v.version >= r.enrolled_version && v.version <= r.plan_version) for (const s of v.steps) steps.add(s.id);
    return [...steps].map((stepId) => planTaskId(r.enrollment_id, stepId));
  }

  async function snapshots(agentId: string, enrollmentId: string, stepIds: Iterable<string>) {
    const out = new Map<string, PlanTaskSnapshot & { plan_version: number | null }>();
    await Promise.all(
      [...new Set(stepIds)].map(async (stepId) => {
        const taskId = planTaskId(enrollmentId, stepId);
        const { state } = await deps.tasks.load({ agentId, aggregateId: taskId });
        if (state.status === 'absent') return;
        out.set(stepId, {
          task_id: taskId,
          status: state.status,
          scheduled_for: state.scheduled_for,
          pinned: state.pinned,
          held_reason: state.held_reason,
          plan_version: state.plan?.plan_version ?? null,
        });
      }),
    );
    return out;
  }

  const task = (agentId: string, taskId: string, command: TaskCommand, cause: Cause) =>
    deps.tasks.handle({ agentId, aggregateId: taskId }, command, {
      ...cause,
      // A plan's task ids derive from (enrolment, step): scheduling one is almost always its
      // first event, so it is written without reading the subject first (a redelivery or an
      // existing task is read and decided on as before: command-handler `expectNew`).
      expectNew: command.type === 'ScheduleTask',
      // A planned task's TaskScheduled is keyed on the task alone (whoever plans it, once).
      eventId: (d) => (d.type === 'TaskScheduled' ? deterministicId('TaskScheduled', taskId) : undefined),
    });

  const cancelAll = (agentId: string, ids: readonly string[], reason: TaskCancelReason, cause: Cause) =>
    Promise.all(ids.map((id) => task(agentId, id, { type: 'CancelTask', data: { reason } }, cause)));
  const holdAll = (agentId: string, ids: readonly string[], cause: Cause) =>
    Promise.all(ids.map((id) => task(agentId, id, { type: 'HoldTask', data: { reason: 'paused', until: null } }, cause)));

  /** An enrolment that ended or paused while we planned: do to the tasks we just made what its own pass would have. */
  async function settle(agentId: string, r: EnrollmentRecord, ids: readonly string[], cause: Cause) {
    const after = await loadRecord(agentId, r.client_id, r.enrollment_id);
    if (after?.status === 'ended') await cancelAll(agentId, ids, after.ended_reason ?? 'manual', cause);
    else if (after?.status === 'paused') await holdAll(agentId, ids, cause);
  }

  async function applyEffects(
    agentId: string,
    clientId: string,
    effects: readonly PlanEffect[],
    by: 'plan_change' | 'resume',
    cause: Cause,
    at: string,
  ) {
    const added: string[] = [];
    await Promise.all(
      effects.map(async (e): Promise<unknown> => {
        switch (e.kind) {
          case 'move':
          case 'update':
            return task(
              agentId,
              e.task_id,
              { type: 'RescheduleTask', data: { scheduled_for: e.to, by, timing: e.timing, plan: e.plan }, now: at },
              cause,
            );
          case 'add':
            added.push(e.task_id);
            return task(
              agentId,
              e.task_id,
              {
                type: 'ScheduleTask',
                data: {
                  client_id: clientId,
                  followup_type: followupTypeFor(e.step.label),
                  scheduled_for: e.scheduled_for,
                  priority: e.step.priority,
                  notes: null,
                  origin: 'plan',
                  plan: e.plan,
                  timing: e.timing,
                },
                now: at,
              },
              cause,
            );
          case 'remove':
            return task(agentId, e.task_id, { type: 'CancelTask', data: { reason: 'step_removed' } }, cause);
          case 'past':
            return null; // already past for this enrolment: not sent
        }
      }),
    );
    return added;
  }

  return async function handle(event: Envelope, traceparent: string | null = null): Promise<void> {
    if (!isEnrollmentEventType(event.type)) return;
    const agentId = event.agent_id;
    const clientId = event.aggregate_id;
    const enrollmentId = (event.data as { enrollment_id: string }).enrollment_id;
    const cause: Cause = { correlationId: event.correlation_id, causationId: event.id, traceparent, occurredAt: now() };
    const at = cause.occurredAt.toISOString();

    switch (event.type) {
      case 'ClientEnrolled': {
        const d = event.data;
        await deps.index.add(agentId, d.plan_id, clientId, enrollmentId);
        const r = await loadRecord(agentId, clientId, enrollmentId);
        if (!r || r.status === 'ended') {
          // Ended before we planned anything: its end pass found nothing of ours, and we add nothing.
          await deps.index.remove(agentId, d.plan_id, clientId, enrollmentId);
          return;
        }
        const plan = await loadPlan(agentId, d.plan_id);
        const version = plan ? planVersion(plan, r.plan_version) : null;
        if (plan && version && plan.status === 'live') {
          const [settings, zone] = await Promise.all([deps.settings.get(agentId), clientZone(agentId, clientId)]);
          const placed = placeSteps(version, { enrolledAt: anchorOf(r), settings, clientZone: zone, clientId });
          const ids = placed.map((p) => planTaskId(enrollmentId, p.step.id));
          await Promise.all(
            placed.map((p, i) =>
              task(
                agentId,
                ids[i] as string,
                {
                  type: 'ScheduleTask',
                  data: {
                    client_id: clientId,
                    followup_type: followupTypeFor(p.step.label),
                    scheduled_for: p.scheduled_for,
                    priority: p.step.priority,
                    notes: null,
                    origin: 'plan',
                    plan: taskPlanRef(version, p.index, enrollmentId),
                    timing: p.timing,
                  },
                  now: at,
                },
                cause,
              ),
            ),
          );
          await settle(agentId, r, ids, cause);
        }
        // The plan as it stands now: deleted, or edited for current enrolments, since we read it.
        const latest = await loadPlan(agentId, d.plan_id);
        if (!latest || latest.status === 'deleted') {
          await deps.enrollments.handle(
            { agentId, aggregateId: clientId },
            { type: 'EndEnrollment', data: { reason: 'plan_deleted', manual: false, enrollment_id: enrollmentId } },
            cause,
          );
          return;
        }
        const target = latestCurrentVersion(latest, r.plan_version);
        if (target)
          await deps.enrollments.handle(
            { agentId, aggregateId: clientId },
            { type: 'MigrateEnrollment', data: { plan_id: d.plan_id, to_version: target } },
            cause,
          );
        return;
      }
      case 'EnrollmentPaused': {
        const r = await loadRecord(agentId, clientId, enrollmentId);
        if (r?.status !== 'paused') return; // resumed or ended since
        const plan = await loadPlan(agentId, r.plan_id);
        if (plan) await holdAll(agentId, taskIdsOf(plan, r), cause);
        return;
      }
      case 'EnrollmentResumed': {
        const r = await loadRecord(agentId, clientId, enrollmentId);
        if (r?.status !== 'active') return; // paused again or ended since: that event's pass rules
        const plan = await loadPlan(agentId, r.plan_id);
        const version = plan ? planVersion(plan, r.plan_version) : null;
        if (!plan || !version) return;
        const [settings, zone, tasks] = await Promise.all([
          deps.settings.get(agentId),
          clientZone(agentId, clientId),
          snapshots(
            agentId,
            enrollmentId,
            version.steps.map((s) => s.id),
          ),
        ]);
        const effects = resumeEffects({
          plan: version,
          tasks,
          anchor: anchorOf(r),
          settings,
          clientZone: zone,
          clientId,
          enrollmentId,
          now: event.occurred_at,
        });
        await applyEffects(agentId, clientId, effects, 'resume', cause, at);
        // A task the agent pinned keeps its time, but the pause held it (its timer went stale): re-arm it there.
        const moved = new Set(effects.map((e) => e.task_id));
        await Promise.all(
          [...tasks.values()]
            .filter((t) => t.held_reason === 'paused' && !moved.has(t.task_id))
            .map((t) =>
              task(agentId, t.task_id, { type: 'RescheduleTask', data: { scheduled_for: t.scheduled_for, by: 'resume' }, now: at }, cause),
            ),
        );
        return;
      }
      case 'EnrollmentEnded': {
        const d = event.data;
        await deps.index.remove(agentId, d.plan_id, clientId, enrollmentId);
        const r = await loadRecord(agentId, clientId, enrollmentId);
        const plan = await loadPlan(agentId, d.plan_id);
        if (r && plan) await cancelAll(agentId, taskIdsOf(plan, r), d.reason, cause);
        return;
      }
      case 'EnrollmentMigrated': {
        const d = event.data;
        const r = await loadRecord(agentId, clientId, enrollmentId);
        if (!r || r.status === 'ended') return; // its end cancelled the tasks
        const plan = await loadPlan(agentId, d.plan_id);
        const from = plan ? planVersion(plan, d.from_version) : null;
        const to = plan ? planVersion(plan, d.to_version) : null;
        if (!from || !to) return;
        const tasks = await snapshots(
          agentId,
          enrollmentId,
          [...from.steps, ...to.steps].map((s) => s.id),
        );
        // A later migration already placed these tasks (this is a late redelivery): leave them.
        if ([...tasks.values()].some((t) => t.plan_version !== null && t.plan_version > d.to_version)) return;
        const [settings, zone] = await Promise.all([deps.settings.get(agentId), clientZone(agentId, clientId)]);
        const effects = planChangeEffects({
          from,
          to,
          tasks,
          anchor: anchorOf(r),
          settings,
          clientZone: zone,
          clientId,
          enrollmentId,
          now: event.occurred_at,
        });
        const added = await applyEffects(agentId, clientId, effects, 'plan_change', cause, at);
        if (added.length) await settle(agentId, r, added, cause);
        return;
      }
    }
  };
}

/** The latest version after `version` that was applied to current enrolments (null when none). */
export function latestCurrentVersion(plan: ExistingPlan, version: number): number | null {
  const later = plan.versions.filter((v: StoredPlanVersion) => v.version > version && v.apply_to === 'current');
  return later.length ? Math.max(...later.map((v) => v.version)) : null;
}

export function startEnrollmentWorkflow(deps: EnrollmentWorkflowDeps & { concurrency?: number }): Promise<RunningConsumer> {
  const handle = enrollmentWorkflowHandler(deps);
  const serial = serialByKey();
  return runConsumer({
    js: deps.store.js,
    jsm: deps.store.jsm,
    stream: 'SCHEDULER',
    durable: ENROLLMENT_WORKFLOW_DURABLE,
    filterSubject: 'sched.*.enrollment.*',
    log: deps.log,
    // Clients side by side, one client's enrolment events in order.
    concurrency: deps.concurrency ?? 64,
    batch: 256,
    handle: (event, ctx) => serial(`${event.agent_id}.${event.aggregate_id}`, () => handle(event, ctx.traceparent)),
  });
}
