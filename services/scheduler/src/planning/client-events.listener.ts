import { type ClientStage, type Envelope, foldClientFacts, stageStopReason, subjects } from '@realtoros/contracts';
import { deterministicId, type EventStore, type RunningConsumer, runConsumer } from '@realtoros/messaging';
import type { Logger } from '@realtoros/observability';
import type { PlanStep } from '@realtoros/planning';
import type { EnrollmentCommand } from '../enrollment/decide.ts';
import { liveEnrollment } from '../enrollment/enrollment.ts';
import type { EnrollmentStore } from '../enrollment/enrollment-store.ts';
import type { ExistingPlan } from '../plan/plan.ts';
import { ensureDefaultPlan, listAgentPlans, type PlanStore } from '../plan/plan-store.ts';
import type { TaskStore } from '../task/task-store.ts';
import type { ClientTaskIndex } from './client-tasks-index.ts';
import { serialByKey } from './concurrency.ts';
import { PLANNED_TYPES, plannedTaskId } from './schedule.ts';

export const PLANNER_DURABLE = 'scheduler-planner';

/** An enrolment's id: one per (client, cause) — the ClientCreated, the stage change, the agent's command. */
export const enrollmentIdFor = (clientId: string, causeId: string): string => deterministicId('enrollment', clientId, causeId);

export type PlannerDeps = {
  store: EventStore;
  tasks: TaskStore;
  index: ClientTaskIndex;
  plans: PlanStore;
  enrollments: EnrollmentStore;
  /** The default plan's steps (FOLLOWUP_SCHEDULE), for the agents whose default plan does not exist yet. */
  defaultSteps: readonly PlanStep[];
  log: Logger;
  now?: () => Date;
};

/**
 * Client events → enrolment commands (the enrolment workflow turns those into tasks):
 *
 * - ClientCreated: `plan_id` absent → the agent's default plan (created here if it does not
 *   exist yet; a deleted one stays deleted: no plan); null → no plan; an id → that plan when
 *   it is this agent's and live (else none, logged). A client created in one of the plan's
 *   stop stages joins nothing. The anchor is the ClientCreated's `occurred_at`. A client
 *   planned before plans existed (its legacy Day 1 task exists) is not enrolled by a replay.
 * - ClientStageChanged to S: a live enrolment whose plan lists S in its stop stages ends
 *   (`stage_<S>`); then a live plan whose stage_trigger is S enrols the client (ending the
 *   current enrolment with `replaced`) unless it is already in it — when the client is still
 *   in S and may be written to.
 * - ClientDeleted / ClientUnsubscribed end the enrolment (`deleted` / `unsubscribed`).
 *
 * Alongside, the pass kept from before plans: lost/closed, deletion and unsubscription
 * cancel the tasks planned before plans existed (ids from (client, kind)) and — deletion and
 * unsubscription only — the agent's manual tasks (the task decider leaves manual tasks alone
 * for a stage rule). Enrolment ids derive from (client, cause) and ends are guarded by the
 * enrolment they mean, so a redelivery, or a replay of the whole CRM stream, changes nothing.
 */
export function clientEventsHandler(deps: PlannerDeps) {
  const now = deps.now ?? (() => new Date());

  return async function handle(event: Envelope, traceparent: string | null = null): Promise<void> {
    const at = now();
    const cause = { correlationId: event.correlation_id, causationId: event.id, traceparent, occurredAt: at };
    const agentId = event.agent_id;
    const clientId = event.aggregate_id;
    const clientRef = { agentId, aggregateId: clientId };
    const enroll = (plan: ExistingPlan, source: 'created' | 'stage') =>
      deps.enrollments.handle(
        clientRef,
        {
          type: 'EnrollClient',
          data: {
            client_id: clientId,
            enrollment_id: enrollmentIdFor(clientId, event.id),
            plan: { plan_id: plan.id, name: plan.name, version: plan.version },
            enrolled_at: event.occurred_at,
            source,
          },
        },
        // A client just created has no enrolment subject yet: write without reading it first.
        { ...cause, expectNew: source === 'created' },
      );
    const end = (data: Extract<EnrollmentCommand, { type: 'EndEnrollment' }>['data']) =>
      deps.enrollments.handle(clientRef, { type: 'EndEnrollment', data }, cause);

    /** The pass kept from before plans: tasks planned from (client, kind), and manual ones (the decider rules which). */
    const legacyCancel = async (reason: 'client_deleted' | 'client_unsubscribed' | 'stage_lost' | 'stage_closed') => {
      const ids = new Set([...PLANNED_TYPES.map((t) => plannedTaskId(clientId, t)), ...(await deps.index.list(agentId, clientId))]);
      await Promise.all(
        [...ids].map((taskId) => deps.tasks.handle({ agentId, aggregateId: taskId }, { type: 'CancelTask', data: { reason } }, cause)),
      );
    };

    switch (event.type) {
      case 'ClientCreated': {
        const picked = event.data.plan_id;
        if (picked === null) return; // the form chose no plan
        // Planned before plans existed (its Day 1 task is there): a replay of its creation enrols nothing.
        if (await deps.store.readLast('SCHEDULER', subjects.task(agentId, plannedTaskId(clientId, 'Day 1')))) return;
        let plan: ExistingPlan | null = null;
        if (picked === undefined) {
          const r = await ensureDefaultPlan(deps.plans, agentId, deps.defaultSteps, cause);
          plan = r.state.status === 'live' ? r.state : null; // deleted by the agent: new clients join no plan
        } else {
          const { state } = await deps.plans.load({ agentId, aggregateId: picked });
          if (state.status === 'live') plan = state;
          else
            deps.log.warn(
              { client_id: clientId, plan_id: picked },
              'the plan picked for a new client is not a live plan of this agent: no enrolment',
            );
        }
        if (!plan || plan.stop_stages.includes(event.data.stage)) return;
        await enroll(plan, 'created');
        return;
      }
      case 'ClientStageChanged': {
        const to = event.data.to;
        await stageChanged(to);
        const stop = stageStopReason(to);
        if (stop) await legacyCancel(stop);
        return;
      }
      case 'ClientDeleted':
        await end({ reason: 'deleted', manual: false, enrolled_before: event.occurred_at });
        await legacyCancel('client_deleted');
        return;
      case 'ClientUnsubscribed':
        await end({ reason: 'unsubscribed', manual: false, enrolled_before: event.occurred_at });
        await legacyCancel('client_unsubscribed');
        return;
      case 'ActivityLogged':
        // The agent is in a conversation with the client ("stop automated follow-ups").
        if (event.data.stop_followups) await end({ reason: 'conversation', manual: false, enrolled_before: event.data.logged_at });
        return;
      default:
        return;
    }

    async function stageChanged(to: ClientStage) {
      const { state } = await deps.enrollments.load(clientRef);
      let live = liveEnrollment(state);
      if (live) {
        const { state: plan } = await deps.plans.load({ agentId, aggregateId: live.plan_id });
        const stops = plan.status === 'absent' ? [] : plan.stop_stages;
        if (stops.includes(to)) {
          await end({ reason: `stage_${to}`, manual: false, enrollment_id: live.enrollment_id, enrolled_before: event.occurred_at });
          live = null;
        }
      }
      // A stage's plan: only while the client is still in that stage (a stale or replayed
      // stage change enrols nobody) and may still be written to.
      const { events } = await deps.store.readSubject('CRM', subjects.client(agentId, clientId));
      const facts = foldClientFacts(events.map((e) => e.event));
      if (facts.status !== 'active' || facts.unsubscribed || facts.stage !== to) return;
      const trigger = (await listAgentPlans(deps.store, deps.plans, agentId)).find((p) => p.stage_trigger === to);
      if (!trigger || live?.plan_id === trigger.id) return;
      await enroll(trigger, 'stage');
    }
  };
}

export function startPlanner(deps: PlannerDeps & { concurrency?: number }): Promise<RunningConsumer> {
  const handle = clientEventsHandler(deps);
  const serial = serialByKey();
  return runConsumer({
    js: deps.store.js,
    jsm: deps.store.jsm,
    stream: 'CRM',
    durable: PLANNER_DURABLE,
    filterSubject: 'crm.*.client.*',
    log: deps.log,
    // Clients side by side, one client's events in order.
    concurrency: deps.concurrency ?? 32,
    handle: (event, ctx) => serial(`${event.agent_id}.${event.aggregate_id}`, () => handle(event, ctx.traceparent)),
  });
}
