// Plan steps (issue 8): ids, defaults, and where a step of an enrolment falls in time. Pure:
// the scheduler (which plans), the gateway (which validates and previews) and the benchmark
// all call these, so an enrolment is placed the same way everywhere.

import {
  type AgentSettings,
  deterministicId,
  type EventData,
  FOLLOWUP_TYPES,
  type FollowupType,
  type PlanStepInput,
} from '@realtoros/contracts';
import {
  clientSpreadMinutes,
  isTimeZone,
  localDateOf,
  nextOpenSlot,
  type SendingWindow,
  sendingWindow,
  startOfNextLocalDay,
  stepTimes,
  type WindowIssue,
} from './window.ts';

/** One step of one plan version, whole (as PlanCreated / PlanChanged store it). */
export type PlanStep = EventData<'PlanCreated'>['steps'][number];
/** How a planned time was placed (TaskScheduled.timing / TaskRescheduled.timing). */
export type TaskTiming = NonNullable<EventData<'TaskScheduled'>['timing']>;
/** Where a planned task came from (TaskScheduled.plan / TaskRescheduled.plan). */
export type TaskPlanRef = NonNullable<EventData<'TaskScheduled'>['plan']>;
/** The parts of a plan version placement needs; `plan_id` and `name` feed the tasks' plan ref. */
export type PlanVersion = { plan_id: string; name: string; version: number; steps: readonly PlanStep[] };
/** Same shape as the gateway's problem-details `errors` entries. */
export type PlanIssue = WindowIssue;

// ---------------------------------------------------------------------------------------
// Ids

/** A planned task's id: one per (enrolment, step), so replanning or redelivery targets the same task. */
export const planTaskId = (enrollmentId: string, stepId: string): string => deterministicId('plan-task', enrollmentId, stepId);

/** The agent's default plan: derivable by anyone (scheduler at registration, planner lazily), created once. */
export const defaultPlanId = (agentId: string): string => deterministicId('default-plan', agentId);

/**
 * A new step's id: short (it shows in URLs and task refs) and derived, so re-deciding the same
 * PlanChanged gives the same ids. `index` is the step's 0-based position in the version.
 * Different (plan, version, index) give different ids, so a removed step's id is not reused.
 */
export const newStepId = (planId: string, version: number, index: number): string =>
  `s-${deterministicId('plan-step', planId, String(version), String(index)).slice(0, 8)}`;

/** A step's followup_type: its label when that is one of the classic kinds, else 'Custom'. */
export function followupTypeFor(label: string): FollowupType {
  return (FOLLOWUP_TYPES as readonly string[]).includes(label) && label !== 'Custom' ? (label as FollowupType) : 'Custom';
}

// ---------------------------------------------------------------------------------------
// Normalising an edit

const STEP_DEFAULTS = { priority: 'medium', action: 'email', time_of_day: null, instructions: null, template_id: null } as const;

/**
 * Turns the API's step inputs (already schema-valid) into whole steps, in the order given.
 * - A given id is kept, so an edit can tell a moved step from a new one; a step without one
 *   gets `newStepId(planId, version, index)`.
 * - A field left out takes the same step's value in `previous` (PATCH sends the whole list,
 *   but a client editing one step should not reset another's instructions), else the default.
 * - `offset_seconds` (demo schedules, never set through the API) survives only while the
 *   step's `offset_days` is unchanged: an agent moving a demo step gets a real day step.
 * Issues: a step id listed twice (pointer `/steps/<i>/id` at the second occurrence).
 */
export function normalizePlanSteps(
  planId: string,
  version: number,
  inputs: readonly PlanStepInput[],
  previous: readonly PlanStep[] = [],
): { steps: PlanStep[]; issues: PlanIssue[] } {
  const before = new Map(previous.map((s) => [s.id, s]));
  const issues: PlanIssue[] = [];
  const seen = new Set<string>();
  const steps = inputs.map((input, i): PlanStep => {
    if (input.id !== undefined) {
      if (seen.has(input.id)) issues.push({ pointer: `/steps/${i}/id`, detail: `is listed twice ("${input.id}")` });
      seen.add(input.id);
    }
    const old = input.id === undefined ? undefined : before.get(input.id);
    const pick = <K extends keyof typeof STEP_DEFAULTS>(k: K) => (input[k] !== undefined ? input[k] : (old?.[k] ?? STEP_DEFAULTS[k]));
    const step: PlanStep = {
      id: input.id ?? newStepId(planId, version, i),
      label: input.label,
      offset_days: input.offset_days,
      time_of_day: pick('time_of_day'),
      priority: pick('priority') as PlanStep['priority'],
      action: pick('action') as PlanStep['action'],
      instructions: pick('instructions'),
      template_id: pick('template_id'),
    };
    // How the step uses its template (issue 10): only with one, default `as_is`.
    const templateUse = input.template_use ?? old?.template_use;
    if (step.template_id) step.template_use = templateUse ?? 'as_is';
    if (old?.offset_seconds !== undefined && old.offset_days === input.offset_days) step.offset_seconds = old.offset_seconds;
    return step;
  });
  return { steps, issues };
}

/** The plan ref a planned task carries for step `index` (0-based) of a version. */
export function taskPlanRef(plan: PlanVersion, index: number, enrollmentId: string): TaskPlanRef {
  const step = plan.steps[index];
  if (!step) throw new RangeError(`plan ${plan.plan_id} v${plan.version} has no step ${index}`);
  return {
    enrollment_id: enrollmentId,
    plan_id: plan.plan_id,
    plan_name: plan.name,
    plan_version: plan.version,
    step_id: step.id,
    step_index: index + 1,
    step_label: step.label,
    action: step.action,
    instructions: step.instructions,
    template_id: step.template_id,
    ...(step.template_id && step.template_use ? { template_use: step.template_use } : {}),
  };
}

// ---------------------------------------------------------------------------------------
// Placement

// Compiling a window validates it and builds sets; planning 100,000 enrolments of one agent
// would do that per step. Settings are values, so a memo keyed by their window fields is pure;
// cleared when large so a long-lived scheduler serving many agents stays bounded.
const windows = new Map<string, SendingWindow>();
/** The agent's sending window (settings already validated; invalid ones still throw). */
export function windowOf(settings: AgentSettings): SendingWindow {
  const { time_zone, business_days, window_start, window_end, holidays } = settings;
  const key = JSON.stringify([time_zone, business_days, window_start, window_end, holidays]);
  let w = windows.get(key);
  if (!w) {
    w = sendingWindow({ time_zone, business_days, window_start, window_end, holidays });
    if (windows.size >= 1000) windows.clear();
    windows.set(key, w);
  }
  return w;
}

/**
 * The zone a client's steps are computed in: its own when it has a usable one, else the
 * agent's. An unknown stored zone falls back rather than throwing, so one bad profile cannot
 * stop an enrolment workflow (the API refuses unknown zones on the way in).
 */
export function placementZone(settings: AgentSettings, clientZone?: string | null): string {
  return clientZone != null && isTimeZone(clientZone) ? clientZone : settings.time_zone;
}

export type PlaceInput = {
  step: PlanStep;
  /** The anchor: ClientEnrolled.enrolled_at, shifted by the paused time after a resume. */
  enrolledAt: string;
  settings: AgentSettings;
  clientZone?: string | null | undefined;
  clientId: string;
};
export type Placement = { scheduled_for: string; timing: TaskTiming };

/**
 * When a step of an enrolment goes. `offset_seconds` (demo) → exactly that long after the
 * anchor, no window. Otherwise `planned_for` = the anchor's local date + offset_days at
 * time_of_day (or window start + the client's spread), never before the anchor, and
 * `scheduled_for` = that moved into the next open slot of the client's window.
 */
export function placeStep({ step, enrolledAt, settings, clientZone, clientId }: PlaceInput): Placement {
  const zone = placementZone(settings, clientZone);
  if (step.offset_seconds !== undefined) {
    const at = new Date(Date.parse(enrolledAt) + step.offset_seconds * 1000).toISOString();
    return { scheduled_for: at, timing: { planned_for: at, time_zone: zone, placement: 'exact' } };
  }
  const timing = { enrolledAt, offsetDays: step.offset_days, timeOfDay: step.time_of_day, zone, window: windowOf(settings), clientId };
  const { planned, scheduled } = stepTimes(timing);
  return { scheduled_for: scheduled, timing: { planned_for: planned, time_zone: zone, placement: 'window' } };
}

export type PlacedStep = Placement & {
  step: PlanStep;
  /** 0-based position in the version. */
  index: number;
};
/** A step that writes to the client (a reminder for the agent is not one). */
export const emailsClient = (step: PlanStep): boolean => (step.action ?? 'email') !== 'task';

/**
 * Every step of a version placed from one anchor, in the version's order — with one rule on
 * top of each step's own placement: the sending window never puts two of the plan's emails
 * on one local day. Enrolled on a Friday, "Day 1" (Saturday) and "Day 3" (Monday) would both
 * move to Monday's slot and reach the client together; the later one goes to the next open
 * day after the earlier one instead. Steps the agent planned for the same day stay together
 * (that is the plan), reminders (`task`) and exact demo steps are left alone.
 */
export function placeSteps(plan: Pick<PlanVersion, 'steps'>, input: Omit<PlaceInput, 'step'>): PlacedStep[] {
  const spacing = emailSpacing(input);
  return plan.steps.map((step, index) => {
    const own = placeStep({ ...input, step });
    return { step, index, ...own, scheduled_for: spacing.next(step, own.timing, own.scheduled_for) };
  });
}

/**
 * The "one email a day" rule as a running check over a plan's steps in order: `next` takes a
 * step's time (its placement, or where an edit puts it) and answers the time it goes, moved
 * to the next open day after the previous email when the window made them share a day.
 */
export function emailSpacing(input: Omit<PlaceInput, 'step'>) {
  const zone = placementZone(input.settings, input.clientZone);
  let previous: { plannedDay: string; day: string; at: string } | null = null;
  const counts = (step: PlanStep, timing: TaskTiming) => emailsClient(step) && timing.placement === 'window';
  return {
    next(step: PlanStep, timing: TaskTiming, at: string): string {
      if (!counts(step, timing)) return at;
      const plannedDay = localDateOf(timing.planned_for, zone);
      let placed = at;
      if (previous && plannedDay > previous.plannedDay && localDateOf(placed, zone) <= previous.day)
        placed = nextSlotFrom(startOfNextLocalDay(previous.at, zone), input.settings, input.clientZone, input.clientId);
      previous = { plannedDay, day: localDateOf(placed, zone), at: placed };
      return placed;
    },
    /** A step that keeps its time whatever the rule says (held by the cap): later ones still space from it. */
    keep(step: PlanStep, timing: TaskTiming, at: string): void {
      if (counts(step, timing)) previous = { plannedDay: localDateOf(timing.planned_for, zone), day: localDateOf(at, zone), at };
    },
  };
}

/**
 * The first open slot (with the client's spread) on a later day than `instant`'s, for a step
 * held by the daily cap. "Later day" must hold in both zones: the cap counts the *agent's*
 * day, the window is the *client's*; starting from whichever next midnight comes last means
 * the slot never lands in the agent's full day again (a client far ahead of the agent would
 * otherwise reopen before the agent's day ends).
 */
export function nextDaySlot(instant: string, settings: AgentSettings, clientZone: string | null | undefined, clientId: string): string {
  const zone = placementZone(settings, clientZone);
  const agentNext = startOfNextLocalDay(instant, settings.time_zone);
  const clientNext = startOfNextLocalDay(instant, zone);
  const from = agentNext > clientNext ? agentNext : clientNext; // ISO instants in UTC compare as strings
  const window = { ...windowOf(settings), zone };
  return nextOpenSlot(from, window, clientSpreadMinutes(clientId, window));
}

/**
 * The next open slot from `instant` in the client's window (with its spread): where a step
 * whose new time is already past goes after a plan edit or a resume.
 */
export function nextSlotFrom(instant: string, settings: AgentSettings, clientZone: string | null | undefined, clientId: string): string {
  const window = { ...windowOf(settings), zone: placementZone(settings, clientZone) };
  return nextOpenSlot(instant, window, clientSpreadMinutes(clientId, window));
}

/** The agent's local date of an instant, "YYYY-MM-DD": the daily cap's day key. */
export const agentLocalDate = (instant: string, zone: string): string => localDateOf(instant, zone);
