import type { ClientStage } from '@realtoros/contracts';
import { type CommandContext, type CommandHandlers, DomainError, deterministicId, type EventStore } from '@realtoros/messaging';
import { currentEnrollment, enrollmentView } from '../enrollment/enrollment.ts';
import type { EnrollmentHandleResult, EnrollmentStore } from '../enrollment/enrollment-store.ts';
import type { OtherPlan } from '../plan/decide.ts';
import { planView } from '../plan/plan.ts';
import { listAgentPlans, type PlanHandleResult, type PlanStore } from '../plan/plan-store.ts';
import { enrollmentIdFor } from '../planning/client-events.listener.ts';
import { clientStatus } from '../planning/client-status.ts';

export type PlanCommandDeps = { store: EventStore; plans: PlanStore; enrollments: EnrollmentStore; now?: () => Date };

/**
 * `cmd.scheduler.*` for plans and enrolments, thin: each builds one command for the plan or
 * enrolment decider (which rules) and answers with the plan (the API's Plan without
 * enrolled_count) or the Enrollment, and the stream position of the write for the gateway's
 * read-your-writes. The new plan's id and enrolment ids derive from the command id, so a
 * retried command changes nothing more. Another agent's plan is simply absent from this
 * agent's subjects: not_found.
 */
export function planCommandHandlers(deps: PlanCommandDeps): CommandHandlers<'scheduler'> {
  const now = deps.now ?? (() => new Date());
  const causedBy = (ctx: CommandContext, at: Date, ifMatch: boolean) => ({
    correlationId: ctx.meta.correlation_id,
    causationId: ctx.meta.command_id,
    traceparent: ctx.traceparent,
    occurredAt: at,
    ...(ifMatch ? { expectedSeq: ctx.meta.expected_seq } : {}),
  });
  const positionOf = (r: PlanHandleResult | EnrollmentHandleResult) =>
    r.position ?? (r.seq > 0 ? { stream: 'SCHEDULER' as const, seq: r.seq } : null);

  const planReply = (r: PlanHandleResult) => {
    if (r.state.status === 'absent') throw new DomainError('not_found', 'plan not found');
    return { data: planView(r.state), position: positionOf(r) };
  };
  const enrollmentReply = (r: EnrollmentHandleResult) => {
    const current = currentEnrollment(r.state);
    if (!current) throw new DomainError('not_found', 'the client is not enrolled in a plan');
    return { data: enrollmentView(current), position: positionOf(r) };
  };

  /** The agent's other live plans, for the stage-trigger rule (read only when a trigger is being set). */
  const othersFor = async (agentId: string, trigger: ClientStage | null | undefined): Promise<OtherPlan[]> => {
    if (trigger == null) return [];
    return (await listAgentPlans(deps.store, deps.plans, agentId)).map((p) => ({
      plan_id: p.id,
      name: p.name,
      stage_trigger: p.stage_trigger,
    }));
  };

  const livePlan = async (agentId: string, planId: string) => {
    const { state } = await deps.plans.load({ agentId, aggregateId: planId });
    if (state.status !== 'live') throw new DomainError('not_found', 'plan not found');
    return state;
  };

  const clientMayJoin = async (agentId: string, clientId: string) => {
    const status = await clientStatus(deps.store, agentId, clientId);
    if (status === 'absent' || status === 'deleted') throw new DomainError('not_found', 'client not found');
    if (status === 'unsubscribed') throw new DomainError('conflict', 'this client has unsubscribed from follow-ups');
  };

  return {
    async create_plan(p, ctx) {
      const agentId = ctx.meta.agent_id;
      const at = now();
      const planId = deterministicId('plan', agentId, ctx.meta.command_id);
      const others = await othersFor(agentId, p.stage_trigger);
      const r = await deps.plans.handle(
        { agentId, aggregateId: planId },
        { type: 'CreatePlan', data: { plan_id: planId, body: p, others }, command_id: ctx.meta.command_id },
        causedBy(ctx, at, false),
      );
      return planReply(r);
    },

    async change_plan(p, ctx) {
      const agentId = ctx.meta.agent_id;
      const at = now();
      const others = await othersFor(agentId, p.changes.stage_trigger);
      const r = await deps.plans.handle(
        { agentId, aggregateId: p.plan_id },
        { type: 'ChangePlan', data: { changes: p.changes, others }, command_id: ctx.meta.command_id },
        causedBy(ctx, at, true),
      );
      return planReply(r);
    },

    async delete_plan(p, ctx) {
      const at = now();
      const r = await deps.plans.handle(
        { agentId: ctx.meta.agent_id, aggregateId: p.plan_id },
        { type: 'DeletePlan', command_id: ctx.meta.command_id },
        causedBy(ctx, at, true),
      );
      return planReply(r);
    },

    async enroll_client(p, ctx) {
      const agentId = ctx.meta.agent_id;
      const at = now();
      await clientMayJoin(agentId, p.client_id);
      const plan = await livePlan(agentId, p.plan_id);
      const ref = { agentId, aggregateId: p.client_id };
      const enrolled = await deps.enrollments.handle(
        ref,
        {
          type: 'EnrollClient',
          data: {
            client_id: p.client_id,
            enrollment_id: enrollmentIdFor(p.client_id, ctx.meta.command_id),
            plan: { plan_id: plan.id, name: plan.name, version: plan.version },
            enrolled_at: at.toISOString(),
            source: 'manual',
          },
        },
        causedBy(ctx, at, false),
      );
      // The client may have been deleted or unsubscribed while we enrolled it, and the
      // planner's end pass may have run before the enrolment existed: close that gap here.
      const after = await clientStatus(deps.store, agentId, p.client_id);
      if (after === 'deleted' || after === 'unsubscribed') {
        const ended = await deps.enrollments.handle(
          ref,
          { type: 'EndEnrollment', data: { reason: after === 'deleted' ? 'deleted' : 'unsubscribed', manual: false } },
          causedBy(ctx, at, false),
        );
        return enrollmentReply({ ...ended, position: ended.position ?? enrolled.position });
      }
      return enrollmentReply(enrolled);
    },

    async change_enrollment(p, ctx) {
      const agentId = ctx.meta.agent_id;
      const at = now();
      const command_id = ctx.meta.command_id;
      await clientMayJoin(agentId, p.client_id).catch((err) => {
        // An unsubscribed client's enrolment may still be ended or paused by hand; only a missing client is refused.
        if (err instanceof DomainError && err.code === 'conflict' && p.action !== 'resume') return;
        throw err;
      });
      const command =
        p.action === 'pause'
          ? ({ type: 'PauseEnrollment', data: { reason: 'manual', until: null, manual: true, command_id } } as const)
          : p.action === 'resume'
            ? ({ type: 'ResumeEnrollment', data: { manual: true, command_id }, now: at.toISOString() } as const)
            : ({ type: 'EndEnrollment', data: { reason: 'manual', manual: true, command_id } } as const);
      const r = await deps.enrollments.handle({ agentId, aggregateId: p.client_id }, command, causedBy(ctx, at, false));
      return enrollmentReply(r);
    },
  };
}
