import { CLIENT_STAGES, isOneOf, PLAN_ACTIONS, PRIORITIES } from '#lib/vocab.ts';

/**
 * The plan editor's form, as plain strings (what the inputs hold), and the API body it
 * becomes. Pure: the editor uses it in the browser (add, remove, move steps) and the form
 * actions on the server (parse, the same edits without JavaScript, the body).
 */
export type StepDraft = {
  /** The step's id, kept across edits (empty on a step added in this edit). */
  id: string;
  label: string;
  offset_days: string;
  time_of_day: string;
  priority: string;
  action: string;
  instructions: string;
  /** One of the agent's templates (issue 10), '' for none; `template_use` as_is | ai_base. */
  template_id: string;
  template_use: string;
};
export const TEMPLATE_USES = ['as_is', 'ai_base'] as const;
/** `on_reply`: what a client's reply does — `end` the plan (the default) or `pause` it until the agent resumes. */
export type PlanDraft = { name: string; stop_stages: string[]; stage_trigger: string; on_reply: string; steps: StepDraft[] };
export const ON_REPLY = ['end', 'pause'] as const;

export const DEFAULT_STOP_STAGES = ['lost', 'closed'] as const;
export const MAX_STEPS = 30;

type PlanLike = {
  name: string;
  stop_stages: readonly string[];
  stage_trigger: string | null;
  /** Absent from a plan read before the option existed: `end`. */
  on_reply?: string;
  steps: readonly {
    id: string;
    label: string;
    offset_days: number;
    time_of_day: string | null;
    priority: string;
    action: string;
    instructions: string | null;
    template_id?: string | null;
    template_use?: string;
  }[];
};

export function draftOf(plan: PlanLike): PlanDraft {
  return {
    name: plan.name,
    stop_stages: [...plan.stop_stages],
    stage_trigger: plan.stage_trigger ?? '',
    on_reply: plan.on_reply ?? 'end',
    steps: plan.steps.map((s) => ({
      id: s.id,
      label: s.label,
      offset_days: String(s.offset_days),
      time_of_day: s.time_of_day ?? '',
      priority: s.priority,
      action: s.action,
      instructions: s.instructions ?? '',
      template_id: s.template_id ?? '',
      template_use: s.template_use ?? 'as_is',
    })),
  };
}

/** A new step after the last one: a week later, same defaults as the API's. */
export function blankStep(after?: StepDraft): StepDraft {
  const prev = after ? Number.parseInt(after.offset_days, 10) : Number.NaN;
  const days = Number.isFinite(prev) ? prev + 7 : 1;
  return { id: '', label: '', offset_days: String(days), time_of_day: '', priority: 'medium', action: 'email', instructions: '', template_id: '', template_use: 'as_is' };
}

export function newPlanDraft(): PlanDraft {
  return {
    name: '',
    stop_stages: [...DEFAULT_STOP_STAGES],
    stage_trigger: '',
    on_reply: 'end',
    steps: [{ ...blankStep(), label: 'Day 1' }],
  };
}

const text = (data: FormData, name: string) => {
  const v = data.get(name);
  return typeof v === 'string' ? v : '';
};

/** Step fields are named `steps[<i>][<field>]`, counted by `step_count`. */
export const stepField = (i: number, field: keyof StepDraft) => `steps[${i}][${field}]`;

export function readPlanForm(data: FormData): PlanDraft {
  const count = Math.min(MAX_STEPS + 1, Math.max(0, Number.parseInt(text(data, 'step_count'), 10) || 0));
  const steps: StepDraft[] = [];
  for (let i = 0; i < count; i++) {
    steps.push({
      id: text(data, stepField(i, 'id')).trim(),
      label: text(data, stepField(i, 'label')).trim(),
      offset_days: text(data, stepField(i, 'offset_days')).trim(),
      time_of_day: text(data, stepField(i, 'time_of_day')).trim(),
      priority: text(data, stepField(i, 'priority')),
      action: text(data, stepField(i, 'action')),
      instructions: text(data, stepField(i, 'instructions')).trim(),
      template_id: text(data, stepField(i, 'template_id')).trim(),
      template_use: text(data, stepField(i, 'template_use')) || 'as_is',
    });
  }
  return {
    name: text(data, 'name').trim(),
    stop_stages: data.getAll('stop_stages').filter((v): v is string => typeof v === 'string'),
    stage_trigger: text(data, 'stage_trigger'),
    on_reply: text(data, 'on_reply') || 'end',
    steps,
  };
}

export type StepEdit = { op: 'add' } | { op: 'remove' | 'up' | 'down'; index: number };

/** "add", "remove:2", "up:1", "down:0" (the editor's buttons without JavaScript) → an edit. */
export function parseEdit(v: unknown): StepEdit | null {
  if (v === 'add') return { op: 'add' };
  const m = typeof v === 'string' ? /^(remove|up|down):(\d{1,2})$/.exec(v) : null;
  return m ? { op: m[1] as 'remove' | 'up' | 'down', index: Number(m[2]) } : null;
}

/** Moves the item at `index` one place up or down, or removes it (a new array; out-of-range edits change nothing). */
export function moveOrRemove<T>(items: readonly T[], op: 'remove' | 'up' | 'down', index: number): T[] {
  const out = [...items];
  if (index < 0 || index >= out.length) return out;
  if (op === 'remove') {
    out.splice(index, 1);
    return out;
  }
  const j = op === 'up' ? index - 1 : index + 1;
  if (j < 0 || j >= out.length) return out;
  [out[index], out[j]] = [out[j]!, out[index]!];
  return out;
}

export function applyEdit(steps: readonly StepDraft[], edit: StepEdit): StepDraft[] {
  if (edit.op === 'add') return steps.length < MAX_STEPS ? [...steps, blankStep(steps.at(-1))] : [...steps];
  return moveOrRemove(steps, edit.op, edit.index);
}

/** A whole number as typed, else the text itself (the API names what is wrong with it). */
const integer = (v: string): number | string => (/^-?\d{1,9}$/.test(v) ? Number(v) : v);

/**
 * The draft → the body of POST /api/plans or PATCH /api/plans/{id}. Values pass as typed:
 * the gateway validates them and its pointers (/steps/2/offset_days) come back inline.
 */
export function planBody(d: PlanDraft): Record<string, unknown> {
  return {
    name: d.name,
    stop_stages: CLIENT_STAGES.filter((s) => d.stop_stages.includes(s)),
    stage_trigger: isOneOf(CLIENT_STAGES, d.stage_trigger) ? d.stage_trigger : null,
    on_reply: isOneOf(ON_REPLY, d.on_reply) ? d.on_reply : 'end',
    steps: d.steps.map((s) => {
      const step: Record<string, unknown> = {
        label: s.label,
        offset_days: integer(s.offset_days),
        time_of_day: s.time_of_day || null,
        priority: isOneOf(PRIORITIES, s.priority) ? s.priority : 'medium',
        action: isOneOf(PLAN_ACTIONS, s.action) ? s.action : 'email',
        instructions: s.instructions || null,
        template_id: s.template_id || null,
      };
      if (s.template_id) step.template_use = isOneOf(TEMPLATE_USES, s.template_use) ? s.template_use : 'as_is';
      if (s.id) step.id = s.id;
      return step;
    }),
  };
}

/** Which pointers the editor shows on a field (the rest go to the form's message). */
export const isPlanField = (path: string) => /^(name|stop_stages|stage_trigger|on_reply|steps)(\/|$)/.test(path);
