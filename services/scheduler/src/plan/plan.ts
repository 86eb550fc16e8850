import type { ClientStage, Envelope, EventData } from '@realtoros/contracts';
import type { PlanStep, PlanVersion } from '@realtoros/planning';

/**
 * The follow-up plan aggregate: one subject per plan, `sched.<agent>.plan.<plan_id>`. Every
 * version is stored whole in its own PlanCreated / PlanChanged, so the state keeps each
 * version (a plan has a handful) — the enrolment workflow places and migrates from them.
 */
export const PLAN_EVENT_TYPES = ['PlanCreated', 'PlanChanged', 'PlanDeleted'] as const;
export type PlanEventType = (typeof PLAN_EVENT_TYPES)[number];
export type PlanEventDraft = { [K in PlanEventType]: { type: K; data: EventData<K> } }[PlanEventType];

/** One version, whole, as its event stored it. */
export type OnReply = 'end' | 'pause';

export type StoredPlanVersion = PlanVersion & {
  stop_stages: ClientStage[];
  stage_trigger: ClientStage | null;
  on_reply: OnReply;
  is_default: boolean;
  /** `new` for the first version (nobody is enrolled yet). */
  apply_to: 'current' | 'new';
  at: string;
};

export type ExistingPlan = {
  status: 'live' | 'deleted';
  id: string;
  agent_id: string;
  name: string;
  version: number;
  steps: PlanStep[];
  stop_stages: ClientStage[];
  stage_trigger: ClientStage | null;
  on_reply: OnReply;
  is_default: boolean;
  created_at: string;
  updated_at: string;
  /** Every version, oldest first (`versions[n - 1]` is version n). */
  versions: StoredPlanVersion[];
  /** The commands and events that wrote it (their causation ids): a retried command is a repeat. */
  causes: string[];
};
export type PlanState = { status: 'absent' } | ExistingPlan;
export const initialPlanState: PlanState = { status: 'absent' };

export function evolvePlan(state: PlanState, event: Envelope<PlanEventType>): PlanState {
  const cause = event.causation_id ? [event.causation_id] : [];
  switch (event.type) {
    case 'PlanCreated': {
      if (state.status !== 'absent') return state;
      const d = event.data;
      const version: StoredPlanVersion = { ...versionOf(event.aggregate_id, d, 'new'), at: event.occurred_at };
      return {
        status: 'live',
        id: event.aggregate_id,
        agent_id: event.agent_id,
        name: d.name,
        version: d.version,
        steps: d.steps,
        stop_stages: d.stop_stages,
        stage_trigger: d.stage_trigger,
        on_reply: d.on_reply ?? 'end',
        is_default: d.is_default,
        created_at: event.occurred_at,
        updated_at: event.occurred_at,
        versions: [version],
        causes: cause,
      };
    }
    case 'PlanChanged': {
      if (state.status === 'absent') return state;
      const d = event.data;
      return {
        ...state,
        name: d.name,
        version: d.version,
        steps: d.steps,
        stop_stages: d.stop_stages,
        stage_trigger: d.stage_trigger,
        on_reply: d.on_reply ?? 'end',
        is_default: d.is_default,
        updated_at: event.occurred_at,
        versions: [...state.versions, { ...versionOf(state.id, d, d.apply_to), at: event.occurred_at }],
        causes: [...state.causes, ...cause],
      };
    }
    case 'PlanDeleted':
      if (state.status === 'absent') return state;
      return { ...state, status: 'deleted', updated_at: event.occurred_at, causes: [...state.causes, ...cause] };
    default:
      event satisfies never;
      return state;
  }
}

function versionOf(planId: string, d: EventData<'PlanCreated'>, apply_to: 'current' | 'new'): Omit<StoredPlanVersion, 'at'> {
  return {
    plan_id: planId,
    name: d.name,
    version: d.version,
    steps: d.steps,
    stop_stages: d.stop_stages,
    stage_trigger: d.stage_trigger,
    on_reply: d.on_reply ?? 'end',
    is_default: d.is_default,
    apply_to,
  };
}

/** Version `n` of a plan (null when it has no such version). */
export function planVersion(plan: ExistingPlan, n: number): StoredPlanVersion | null {
  return plan.versions.find((v) => v.version === n) ?? null;
}

/** The plan as the API shows it (`Plan` in libs/contracts/src/api.ts, without enrolled_count). */
export function planView(plan: ExistingPlan) {
  return {
    id: plan.id,
    agent_id: plan.agent_id,
    name: plan.name,
    version: plan.version,
    steps: plan.steps,
    stop_stages: plan.stop_stages,
    stage_trigger: plan.stage_trigger,
    on_reply: plan.on_reply,
    is_default: plan.is_default,
    created_at: plan.created_at,
    updated_at: plan.updated_at,
  };
}
export type PlanView = ReturnType<typeof planView>;
