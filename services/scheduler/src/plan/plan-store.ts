import { deterministicId, subjects } from '@realtoros/contracts';
import { type CommandHandler, createCommandHandler, type EventStore, type HandleResult } from '@realtoros/messaging';
import { defaultPlanId, type PlanStep } from '@realtoros/planning';
import { type PlanCommand, planDecider } from './decide.ts';
import type { ExistingPlan, PlanEventType, PlanState } from './plan.ts';

/** Plans on the one command path (stream SCHEDULER, aggregate `plan`). */
export const createPlanStore = (store: EventStore): PlanStore =>
  createCommandHandler(store, planDecider, { stream: 'SCHEDULER', aggregate: 'plan' });

export type PlanStore = CommandHandler<PlanCommand, PlanState, PlanEventType>;
export type PlanHandleResult = HandleResult<PlanState>;

/**
 * The agent's plans: their subjects are listed from the stream (`subjects_filter`, one
 * request, paged by the client for many), then each is read and folded. An agent has a
 * handful of plans; deleted ones are left out unless asked for.
 */
export async function listAgentPlans(
  store: EventStore,
  plans: PlanStore,
  agentId: string,
  opts: { includeDeleted?: boolean } = {},
): Promise<ExistingPlan[]> {
  const prefix = subjects.plan(agentId, '');
  const info = await store.jsm.streams.info('SCHEDULER', { subjects_filter: `${prefix}*` });
  const ids = Object.keys(info.state.subjects ?? {})
    .map((s) => s.slice(prefix.length))
    .filter(Boolean)
    .sort();
  const loaded = await Promise.all(ids.map((id) => plans.load({ agentId, aggregateId: id })));
  return loaded
    .map((l) => l.state)
    .filter((s): s is ExistingPlan => s.status === 'live' || (opts.includeDeleted === true && s.status === 'deleted'))
    .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
}

/**
 * Creates the agent's default plan unless it exists (or existed: a deleted default plan stays
 * deleted). PlanCreated expects the subject to be empty and its id is derived from the plan
 * alone, so registration replays, the lazy path and a second replica all append it once.
 */
export function ensureDefaultPlan(
  plans: PlanStore,
  agentId: string,
  steps: readonly PlanStep[],
  cause: { correlationId: string; causationId: string; traceparent?: string | null; occurredAt?: Date },
): Promise<PlanHandleResult> {
  const planId = defaultPlanId(agentId);
  return plans.handle(
    { agentId, aggregateId: planId },
    { type: 'EnsureDefaultPlan', data: { steps } },
    { ...cause, eventId: (d) => (d.type === 'PlanCreated' ? deterministicId('PlanCreated', planId) : undefined) },
  );
}
