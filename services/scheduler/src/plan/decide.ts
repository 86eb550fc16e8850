import type { ClientStage, PlanCreateBody, PlanPatchBody } from '@realtoros/contracts';
import { type Decider, DomainError } from '@realtoros/messaging';
import { normalizePlanSteps, type PlanIssue, type PlanStep } from '@realtoros/planning';
import { type ExistingPlan, evolvePlan, initialPlanState, type PlanEventDraft, type PlanEventType, type PlanState } from './plan.ts';

/** Another live plan of the same agent, as far as the stage-trigger rule needs it. */
export type OtherPlan = { plan_id: string; name: string; stage_trigger: ClientStage | null };

export const DEFAULT_PLAN_NAME = 'Standard follow-up';
export const DEFAULT_STOP_STAGES: readonly ClientStage[] = ['lost', 'closed'];

/**
 * The plan's commands. Pure: what needs I/O arrives in the command — the agent's other live
 * plans (`others`, for the stage-trigger rule) and the command id (`command_id`: a retried
 * command is a repeat, decided as nothing, however late it comes).
 */
export type PlanCommand =
  | { type: 'CreatePlan'; data: { plan_id: string; body: PlanCreateBody; others: readonly OtherPlan[] }; command_id: string }
  | { type: 'ChangePlan'; data: { changes: PlanPatchBody; others: readonly OtherPlan[] }; command_id: string }
  | { type: 'DeletePlan'; command_id: string }
  /** The agent's default plan (registration, or lazily by the planner): created once, never re-created once deleted. */
  | { type: 'EnsureDefaultPlan'; data: { steps: readonly PlanStep[] } };

function live(state: PlanState): ExistingPlan {
  if (state.status !== 'live') throw new DomainError('not_found', 'plan not found');
  return state;
}

export function decidePlan(command: PlanCommand, state: PlanState): PlanEventDraft[] {
  switch (command.type) {
    case 'CreatePlan': {
      // The plan id derives from the command id: an existing plan is this very command again.
      if (state.status !== 'absent') return [];
      const { plan_id, body, others } = command.data;
      const issues: PlanIssue[] = [];
      const steps = stepsOf(plan_id, 1, body.steps, [], issues);
      const stop_stages = body.stop_stages ?? [...DEFAULT_STOP_STAGES];
      const stage_trigger = body.stage_trigger ?? null;
      checkTrigger(stage_trigger, stop_stages, '/stage_trigger', issues);
      if (issues.length) throw new DomainError('validation', 'the plan is not valid', issues);
      checkConflict(plan_id, stage_trigger, others);
      const on_reply = body.on_reply ?? 'end';
      return [
        { type: 'PlanCreated', data: { name: body.name, version: 1, steps, stop_stages, stage_trigger, is_default: false, on_reply } },
      ];
    }
    case 'ChangePlan': {
      if (state.status !== 'absent' && state.causes.includes(command.command_id)) return [];
      const plan = live(state);
      const { changes, others } = command.data;
      const version = plan.version + 1;
      const issues: PlanIssue[] = [];
      const steps = changes.steps ? stepsOf(plan.id, version, changes.steps, plan.steps, issues) : plan.steps;
      const name = changes.name ?? plan.name;
      const stop_stages = changes.stop_stages ?? plan.stop_stages;
      const stage_trigger = changes.stage_trigger !== undefined ? changes.stage_trigger : plan.stage_trigger;
      checkTrigger(stage_trigger, stop_stages, changes.stage_trigger !== undefined ? '/stage_trigger' : '/stop_stages', issues);
      if (issues.length) throw new DomainError('validation', 'the plan is not valid', issues);
      if (stage_trigger !== plan.stage_trigger) checkConflict(plan.id, stage_trigger, others);
      const on_reply = changes.on_reply ?? plan.on_reply;
      const apply_to = changes.apply_to ?? 'new';
      const same =
        name === plan.name &&
        on_reply === plan.on_reply &&
        stage_trigger === plan.stage_trigger &&
        json(stop_stages) === json(plan.stop_stages) &&
        json(steps) === json(plan.steps);
      // Nothing new for new enrolments: nothing to record. The same content applied to
      // current enrolments is a version of its own (it moves those still on older versions).
      if (same && apply_to === 'new') return [];
      return [
        {
          type: 'PlanChanged',
          data: { name, version, steps, stop_stages, stage_trigger, is_default: plan.is_default, on_reply, apply_to },
        },
      ];
    }
    case 'DeletePlan': {
      if (state.status === 'deleted' && state.causes.includes(command.command_id)) return [];
      const plan = live(state);
      return [{ type: 'PlanDeleted', data: { name: plan.name, version: plan.version } }];
    }
    case 'EnsureDefaultPlan': {
      // Created once; a deleted default plan stays deleted (new clients then join no plan).
      if (state.status !== 'absent') return [];
      return [
        {
          type: 'PlanCreated',
          data: {
            name: DEFAULT_PLAN_NAME,
            version: 1,
            steps: [...command.data.steps],
            stop_stages: [...DEFAULT_STOP_STAGES],
            stage_trigger: null,
            is_default: true,
            on_reply: 'end',
          },
        },
      ];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

const json = (v: unknown) => JSON.stringify(v);

/**
 * Whole steps from the API's inputs (libs/planning normalizePlanSteps: ids kept or derived,
 * defaults, the previous version's values for fields left out), plus the rules a schema
 * cannot say. The command schema already refuses no steps and negative offsets; they are
 * checked here too so the decider holds its own rules (pointers into the request body).
 */
function stepsOf(
  planId: string,
  version: number,
  inputs: PlanCreateBody['steps'],
  previous: readonly PlanStep[],
  issues: PlanIssue[],
): PlanStep[] {
  if (inputs.length === 0) issues.push({ pointer: '/steps', detail: 'a plan needs at least one step' });
  inputs.forEach((s, i) => {
    if (!Number.isInteger(s.offset_days) || s.offset_days < 0)
      issues.push({ pointer: `/steps/${i}/offset_days`, detail: 'must be a whole number of days ≥ 0' });
  });
  const { steps, issues: stepIssues } = normalizePlanSteps(planId, version, inputs, previous);
  issues.push(...stepIssues);
  return steps;
}

function checkTrigger(trigger: ClientStage | null, stopStages: readonly ClientStage[], pointer: string, issues: PlanIssue[]) {
  if (trigger !== null && stopStages.includes(trigger))
    issues.push({ pointer, detail: `the stage "${trigger}" both enrols clients in this plan and stops it` });
}

/** Two live plans of one agent may not share a stage trigger: the stage would not know which to enrol in. */
function checkConflict(planId: string, trigger: ClientStage | null, others: readonly OtherPlan[]) {
  if (trigger === null) return;
  const other = others.find((o) => o.plan_id !== planId && o.stage_trigger === trigger);
  if (other)
    throw new DomainError('conflict', `the stage "${trigger}" already enrols clients in the plan "${other.name}"`, [
      { pointer: '/stage_trigger', detail: `already the trigger of "${other.name}" (${other.plan_id})` },
    ]);
}

/** The plan aggregate as one decider, for the command handler and specs. */
export const planDecider: Decider<PlanCommand, PlanState, PlanEventType> = {
  initialState: initialPlanState,
  evolve: evolvePlan,
  decide: decidePlan,
};
