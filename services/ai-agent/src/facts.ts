import {
  type ClientStage,
  type Envelope,
  type FollowupType,
  foldClientFacts,
  type PlanAction,
  type PropertyType,
  type TemplateUse,
} from '@realtoros/contracts';

/**
 * What the ai-agent knows, folded from other services' public events (never their private
 * state): one client from its CRM subject, the agent from its CRM agent subject, a task from
 * its SCHEDULER subject.
 */
export type ClientFacts = {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  property_address: string | null;
  property_type: PropertyType | null;
  stage: ClientStage;
  notes: string | null;
  custom_fields: Record<string, string | number | boolean | null>;
  unsubscribed: boolean;
  deleted: boolean;
};
export type AgentFacts = { name: string; email: string | null };
/** A planned step's part of a task: what to do and the agent's instructions for it (null on manual tasks). */
export type StepFacts = {
  label: string;
  action: PlanAction;
  instructions: string | null;
  enrollment_id: string | null;
  /** The step's template (issue 10) and how to use it; null → none. */
  template: { id: string; use: TemplateUse } | null;
};
/** An agent's email template as its CRM subject last stored it (issue 10). */
export type TemplateFacts = { id: string; name: string; subject: string; body: string; version: number; deleted: boolean };
export type TaskFacts = {
  id: string;
  client_id: string;
  followup_type: FollowupType;
  version: number;
  notes: string | null;
  step: StepFacts | null;
};
export type PreviousEmail = { subject: string; body: string; sent_at: string };

/** The client's facts for a prompt, from the one fold of client facts (libs/contracts). */
export function foldClient(events: readonly Envelope[]): ClientFacts | null {
  const facts = foldClientFacts(events);
  if (facts.status === 'absent') return null;
  return {
    id: facts.id,
    ...facts.profile,
    stage: facts.stage,
    unsubscribed: facts.unsubscribed,
    deleted: facts.status === 'deleted',
  };
}

/** The agent as emails name them: registered, then renamed (the settings page). */
export function foldAgent(events: readonly Envelope[]): AgentFacts | null {
  let agent = null as AgentFacts | null;
  for (const e of events) {
    if (e.type === 'AgentRegistered' && !agent) agent = { name: e.data.name, email: e.data.email };
    else if (e.type === 'AgentRenamed' && agent) agent = { ...agent, name: e.data.name };
  }
  return agent;
}

export function foldTask(events: readonly Envelope[]): TaskFacts | null {
  let t = null as TaskFacts | null;
  for (const e of events) {
    switch (e.type) {
      case 'TaskScheduled':
        t = {
          id: e.aggregate_id,
          client_id: e.data.client_id,
          followup_type: e.data.followup_type,
          version: e.data.version,
          notes: e.data.notes,
          step: e.data.plan ? stepOf(e.data.plan) : null,
        };
        break;
      case 'TaskRescheduled':
        // A plan edit carries the step as the new version has it.
        if (t) t = { ...t, version: e.data.version, ...(e.data.plan ? { step: stepOf(e.data.plan) } : {}) };
        break;
      case 'TaskHeld':
        if (t) t = { ...t, version: e.data.version };
        break;
      case 'TaskDetailsChanged':
        if (t && e.data.notes !== undefined) t = { ...t, notes: e.data.notes };
        break;
      default:
        break;
    }
  }
  return t;
}

function stepOf(plan: {
  step_label: string;
  action: PlanAction;
  instructions: string | null;
  enrollment_id: string;
  template_id?: string | null;
  template_use?: TemplateUse | undefined;
}): StepFacts {
  return {
    label: plan.step_label,
    action: plan.action,
    instructions: plan.instructions,
    enrollment_id: plan.enrollment_id,
    template: plan.template_id ? { id: plan.template_id, use: plan.template_use ?? 'as_is' } : null,
  };
}

/** A template from its subject's events (each version whole); null when there is none. */
export function foldTemplate(events: readonly Envelope[]): TemplateFacts | null {
  let t = null as TemplateFacts | null;
  for (const e of events) {
    if (e.type === 'TemplateCreated' || e.type === 'TemplateChanged')
      t = { id: e.aggregate_id, name: e.data.name, subject: e.data.subject, body: e.data.body, version: e.data.version, deleted: false };
    else if (e.type === 'TemplateDeleted' && t) t = { ...t, deleted: true };
  }
  return t;
}

export const firstName = (name: string) => name.trim().split(/\s+/)[0] ?? name;
