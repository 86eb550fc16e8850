import { FOLLOWUP_TYPES, type FollowupType, PRIORITIES, type Priority } from '@realtoros/contracts';
import { deterministicId } from '@realtoros/messaging';
import type { PlanStep } from '@realtoros/planning';

/**
 * One follow-up of the default plan: its kind, how long after the enrolment, how urgent.
 * `offset_days` is set when the offset was given in whole days (a day step, placed in the
 * sending window); without it the step goes exactly `offset_seconds` after the enrolment
 * (demo and test schedules).
 */
export type FollowupPlan = {
  followup_type: Exclude<FollowupType, 'Custom'>;
  offset_seconds: number;
  offset_days?: number;
  priority: Priority;
};

const DAY = 86_400;
/** ARCHITECTURE.md §7: Day 1 (1 day, high), Day 3 (3 days, medium), Week 1 (7, medium), Week 2 (14, low), Month 1 (30, low). */
export const DEFAULT_SCHEDULE: readonly FollowupPlan[] = [
  { followup_type: 'Day 1', offset_seconds: 1 * DAY, offset_days: 1, priority: 'high' },
  { followup_type: 'Day 3', offset_seconds: 3 * DAY, offset_days: 3, priority: 'medium' },
  { followup_type: 'Week 1', offset_seconds: 7 * DAY, offset_days: 7, priority: 'medium' },
  { followup_type: 'Week 2', offset_seconds: 14 * DAY, offset_days: 14, priority: 'low' },
  { followup_type: 'Month 1', offset_seconds: 30 * DAY, offset_days: 30, priority: 'low' },
];

/** The kinds of the default plan; tasks planned before plans existed have ids derived from (client, kind). */
export const PLANNED_TYPES = FOLLOWUP_TYPES.filter((t): t is FollowupPlan['followup_type'] => t !== 'Custom');

/**
 * Parses FOLLOWUP_SCHEDULE. Either a list
 *   `[{"followup_type":"Day 1","offset_seconds":30,"priority":"high"}, …]`
 * or a map `{"Day 1":{"offset_seconds":30,"priority":"high"}, …}`; `offset_days` may stand
 * in for `offset_seconds` (whole days make a day step, placed in the sending window; seconds
 * or fractions of a day an exact one); a missing priority takes the kind's default. Throws a
 * one-line message on anything else.
 */
export function parseSchedule(json: string): FollowupPlan[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('is not valid JSON');
  }
  const entries: unknown[] = Array.isArray(raw)
    ? raw
    : raw && typeof raw === 'object'
      ? Object.entries(raw).map(([k, v]) => ({ followup_type: k, ...(v && typeof v === 'object' ? v : { offset_seconds: v }) }))
      : [];
  if (entries.length === 0) throw new Error('must be a non-empty list or map of follow-ups');
  const seen = new Set<string>();
  return entries.map((e, i) => {
    const o = (e ?? {}) as Record<string, unknown>;
    const type = o.followup_type ?? o.type;
    if (typeof type !== 'string' || !(PLANNED_TYPES as readonly string[]).includes(type))
      throw new Error(`entry ${i}: followup_type must be one of ${PLANNED_TYPES.join(', ')}`);
    if (seen.has(type)) throw new Error(`entry ${i}: ${type} appears twice`);
    seen.add(type);
    const days = typeof o.offset_seconds !== 'number' && typeof o.offset_days === 'number' ? o.offset_days : undefined;
    const seconds = typeof o.offset_seconds === 'number' ? o.offset_seconds : days !== undefined ? days * DAY : NaN;
    if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`entry ${i}: offset_seconds (or offset_days) must be a number ≥ 0`);
    const fallback = DEFAULT_SCHEDULE.find((d) => d.followup_type === type)?.priority ?? 'medium';
    const priority = o.priority ?? fallback;
    if (typeof priority !== 'string' || !(PRIORITIES as readonly string[]).includes(priority))
      throw new Error(`entry ${i}: priority must be one of ${PRIORITIES.join(', ')}`);
    return {
      followup_type: type as FollowupPlan['followup_type'],
      offset_seconds: seconds,
      ...(days !== undefined && Number.isInteger(days) ? { offset_days: days } : {}),
      priority: priority as Priority,
    };
  });
}

/**
 * A task planned before plans existed: its id derived from (client, kind). New clients' tasks
 * come from their enrolment (`planTaskId(enrollment, step)`); these ids stay for the stop and
 * deletion passes over older clients.
 */
export const plannedTaskId = (clientId: string, followupType: FollowupType): string => deterministicId(clientId, followupType);

/** A default-plan step id from its kind: 'Day 1' → 'day-1', 'Month 1' → 'month-1'. */
export const defaultStepId = (followupType: string): string => followupType.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/**
 * The default plan's steps from FOLLOWUP_SCHEDULE (or the five classic follow-ups): label =
 * the kind, id = `defaultStepId(kind)`, `offset_days` = whole days of the offset; a schedule
 * given in seconds also sets `offset_seconds` — exact demo steps, no window.
 */
export function defaultPlanSteps(schedule: readonly FollowupPlan[]): PlanStep[] {
  return schedule.map((p) => ({
    id: defaultStepId(p.followup_type),
    label: p.followup_type,
    offset_days: p.offset_days ?? Math.floor(p.offset_seconds / DAY),
    ...(p.offset_days === undefined ? { offset_seconds: Math.round(p.offset_seconds) } : {}),
    time_of_day: null,
    priority: p.priority,
    action: 'email',
    instructions: null,
    template_id: null,
  }));
}
